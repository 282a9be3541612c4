"""What the students app tells the floors above it, which it may not import (README "Layout").

`student_left` is sent inside `student_save`'s transaction when a student is saved as having
left (毕业, 转出, 辍学), with `student` and `by`. Receivers act in that transaction: a
ValidationError they raise (keyed by the student's fields) refuses the save, and nothing of it
is kept. The pairing app ends the student's open pairings on the leaving day.
"""

from django.dispatch import Signal

student_left = Signal()
