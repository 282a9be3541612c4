"""The people of a demo school: its staff, classes and roster, and which categories each
student was identified in this semester and last."""

import datetime as dt
import random
from math import ceil

from django.contrib.auth import get_user_model
from django.utils import timezone

from aidcase.audit import BATCH
from demo.school import (
    COUNTY_NAME,
    DemoSchool,
    Pupil,
    approval_day,
    demo_bulk_create,
    in_category_order,
    left_behind,
)
from demo.texts import strings, texts
from students import idcard
from students.models import (
    Category,
    Cohort,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Student,
)
from students.selectors import previous_semester_code, semester_code_for
from students.services import school_create, semester_create

User = get_user_model()

_PEOPLE = texts("people")

GRADES = ("七年级", "八年级", "九年级")

SURNAMES = strings(_PEOPLE["surnames"])
# Common surnames come first and are drawn more often.
SURNAME_WEIGHTS = tuple(len(SURNAMES) + 8 - i for i in range(len(SURNAMES)))
BOY_CHARS: str = _PEOPLE["boy_chars"]
GIRL_CHARS: str = _PEOPLE["girl_chars"]
SHARED_CHARS: str = _PEOPLE["shared_chars"]
MAN_CHARS: str = _PEOPLE["man_chars"]
WOMAN_CHARS: str = _PEOPLE["woman_chars"]

TOWNS = strings(_PEOPLE["towns"])
# A town's first school is its 中学, the next ones its 第二中学, 第三中学…: enough for
# MAX_SCHOOLS without two schools of one name.
SCHOOL_ORDINALS = strings(_PEOPLE["school_ordinals"])
VILLAGES = strings(_PEOPLE["villages"])
# The county's own code first: most children are registered where they live.
REGION_CODES = strings(_PEOPLE["region_codes"])
WORKPLACES = strings(_PEOPLE["workplaces"])
PHONE_PREFIXES = strings(_PEOPLE["phone_prefixes"])

# Each subject appears in proportion to the periods it has in a rural middle school timetable.
TEACHER_SUBJECTS = strings(_PEOPLE["teacher_subjects"])
# Subjects of difficulty for `struggling` pairings; "" is a student behind in most subjects,
# assessed on the total score.
STRUGGLING_SUBJECTS = ("数学", "英语", "语文", "物理", "")
STRUGGLING_WEIGHTS = (40, 32, 8, 8, 12)

# How likely each category is to be the one a student left since last semester: parents come
# home, grades recover, behaviour settles; a family's poverty status changes least often.
LEFT_CATEGORY_WEIGHTS = {
    Category.LEFT_BEHIND: 4,
    Category.POOR: 1,
    Category.STRUGGLING: 3,
    Category.PROBLEM: 2,
}

_NOTES = _PEOPLE["identification_notes"]
POOR_NOTES = {Identification.Source(k): note for k, note in _NOTES["poor"].items()}
LEFT_BEHIND_NOTES = strings(_NOTES["left_behind"])
PROBLEM_NOTES = strings(_NOTES["problem"])


def _school_name(index: int) -> str:
    """Past the list of towns, a town gets its second school, then its third…"""
    town = TOWNS[index % len(TOWNS)]
    return f"{COUNTY_NAME}{town}{SCHOOL_ORDINALS[index // len(TOWNS)]}中学"


def create_school(
    *,
    index: int,
    code: str,
    seed: int,
    day: dt.date,
    size: int,
    password_hash: str,
    id_numbers: set[str],
) -> DemoSchool:
    school = school_create(code=code, name=_school_name(index), county_name=COUNTY_NAME)
    current_code = semester_code_for(day)
    current = semester_create(school=school, code=current_code)
    previous = semester_create(school=school, code=previous_semester_code(current_code))
    return DemoSchool(
        seed=seed,
        school=school,
        today=day,
        current=current,
        previous=previous,
        password_hash=password_hash,
        size=size,
        id_numbers=id_numbers,
    )


def create_staff(demo: DemoSchool) -> None:
    """The principal, the aid office and the teachers: one per 12–13 students (about 40% of
    the students are aided, so a teacher has about five of them), and never fewer than the
    classes need homeroom teachers."""
    rng = demo.rng("staff")
    code = demo.school.code
    class_count = sum(count for _year, count in _class_layout(demo))
    teacher_count = max(class_count + 2, ceil(demo.size / rng.uniform(12, 13)))
    subjects = list(TEACHER_SUBJECTS[:6]) + rng.sample(
        TEACHER_SUBJECTS[6:], len(TEACHER_SUBJECTS) - 6
    )
    people = [
        (f"principal-{code}", Role.PRINCIPAL, "数学"),
        (f"office-{code}", Role.OFFICE, "道德与法治"),
        *(
            (f"{code}T{n:03d}", Role.TEACHER, subjects[(n - 1) % len(subjects)])
            for n in range(1, teacher_count + 1)
        ),
    ]
    users = [User(username=username, password=demo.password_hash) for username, _r, _s in people]
    User.objects.bulk_create(users, batch_size=BATCH)
    profiles = [
        Profile(
            user=user,
            role=role,
            school=demo.school,
            name=_adult_name(rng, male=rng.random() < 0.5),
            phone=_phone(rng),
            subjects=subject,
        )
        for user, (_u, role, subject) in zip(users, people, strict=True)
    ]
    demo_bulk_create(Profile, profiles)
    demo.principal, demo.office, *demo.teachers = users


def _class_layout(demo: DemoSchool) -> list[tuple[int, int]]:
    """(entry year, class count) per cohort, for the last three entry years: 3–4 classes each
    at the usual sizes, more for big cohorts (about 55 a class), fewer for tiny demos."""
    rng = demo.rng("layout")
    sizes = _cohort_sizes(demo)
    layout = []
    for offset, cohort_size in enumerate(sizes):
        count = max(rng.choice((3, 4)), ceil(cohort_size / 55))
        layout.append((demo.first_year - offset, min(count, max(1, cohort_size // 10))))
    return layout


def _cohort_sizes(demo: DemoSchool) -> list[int]:
    """Students per cohort, youngest first; the oldest cohort has lost a few to dropping out
    and migration, so it is a little smaller."""
    rng = demo.rng("cohorts")
    base, extra = divmod(demo.size, 3)
    sizes = [base + (1 if i < extra else 0) for i in range(3)]
    moved = rng.randint(0, demo.size // 30)
    sizes[0] += moved
    sizes[2] -= moved
    return sizes


def create_classes(demo: DemoSchool) -> None:
    """Cohorts and classes named for the current school year (七年级(1)班…), each with one of
    the teachers as homeroom teacher."""
    layout = _class_layout(demo)
    cohorts = Cohort.objects.bulk_create(
        [Cohort(school=demo.school, entry_year=entry_year) for entry_year, _count in layout]
    )
    homeroom = iter(demo.teachers)
    classes = [
        SchoolClass(
            school=demo.school,
            cohort=cohort,
            name=f"{GRADES[demo.first_year - cohort.entry_year]}({n})班",
            homeroom_teacher=next(homeroom),
        )
        for cohort, (_year, count) in zip(cohorts, layout, strict=True)
        for n in range(1, count + 1)
    ]
    demo.classes = SchoolClass.objects.bulk_create(classes)


def plan_pupils(demo: DemoSchool) -> None:
    """Who is in which class, and which categories each student was identified in, this
    semester and last; then a few adjustments so that every school shows every case."""
    rng = demo.rng("pupils")
    sizes = _cohort_sizes(demo)
    for offset, cohort_size in enumerate(sizes):
        entry_year = demo.first_year - offset
        classes = [c for c in demo.classes if c.cohort.entry_year == entry_year]
        in_previous = demo.previous_term_same_year or offset > 0
        for n in range(cohort_size):
            pupil = Pupil(
                entry_year=entry_year,
                school_class=classes[n % len(classes)],
                male=rng.random() < 0.52,
                in_previous=in_previous,
            )
            pupil.current = _draw_categories(rng)
            if in_previous:
                pupil.previous = _previous_categories(rng, pupil.current)
                if rng.random() < 0.015:
                    pupil.status = Student.Status.TRANSFERRED
                    pupil.previous = pupil.previous or _draw_categories(rng)
                    pupil.current = []
            if pupil.status == Student.Status.ENROLLED and rng.random() < 0.005:
                pupil.status = Student.Status.SUSPENDED
            demo.pupils.append(pupil)
    _ensure_every_case(demo, rng)
    for pupil in demo.pupils:
        if Category.STRUGGLING in pupil.current or Category.STRUGGLING in pupil.previous:
            subjects = [
                s for s in STRUGGLING_SUBJECTS if s != "物理" or pupil.entry_year < demo.first_year
            ]
            weights = [
                w
                for s, w in zip(STRUGGLING_SUBJECTS, STRUGGLING_WEIGHTS, strict=True)
                if s in subjects
            ]
            pupil.subject = rng.choices(subjects, weights)[0]


def _draw_categories(rng: random.Random) -> list[str]:
    """About 25% left-behind, 12% poor, 10% struggling and 3% problem students, with the
    overlaps seen in practice: left-behind children are more often poor and behind at school,
    and problem behaviour goes with falling behind."""
    left_behind = rng.random() < 0.25
    poor = rng.random() < (0.20 if left_behind else 0.093)
    struggling = rng.random() < (0.14 if left_behind else 0.087)
    problem = rng.random() < (0.12 if struggling else 0.02)
    flags = (left_behind, poor, struggling, problem)
    return [category.value for category, flag in zip(Category, flags, strict=True) if flag]


def _previous_categories(rng: random.Random, current: list[str]) -> list[str]:
    """Last semester's categories: mostly the same, a few identified only since, a few left."""
    previous = list(current)
    if previous and rng.random() < 0.05:
        previous.remove(rng.choice(previous))
    # A student in all four categories now has none left to have been in only last semester.
    options = [c for c in LEFT_CATEGORY_WEIGHTS if c not in current]
    if rng.random() < 0.05 and options:
        left = rng.choices(options, [LEFT_CATEGORY_WEIGHTS[c] for c in options])[0]
        previous.append(left.value)
    return in_category_order(previous)


def _ensure_every_case(demo: DemoSchool, rng: random.Random) -> None:
    """Small schools may lack a case by chance; this makes sure each school has every
    category, a student in several, and a student who left a category since last semester."""
    enrolled = [p for p in demo.pupils if p.status == Student.Status.ENROLLED]
    for category in Category:
        if not any(category in p.current for p in enrolled):
            pupil = rng.choice(enrolled)
            pupil.current = in_category_order([*pupil.current, category])
    if not any(len(p.current) > 1 for p in enrolled):
        pupil = rng.choice([p for p in enrolled if p.current])
        extra = next(c for c in (Category.POOR, Category.LEFT_BEHIND) if c not in pupil.current)
        pupil.current = in_category_order([*pupil.current, extra])
    returning = [p for p in enrolled if p.in_previous and len(p.current) < len(Category)]
    if returning and not any(set(p.previous) - set(p.current) for p in returning):
        pupil = rng.choice(returning)
        left = next(c for c in LEFT_CATEGORY_WEIGHTS if c not in pupil.current)
        pupil.previous = in_category_order([*pupil.previous, left])


def create_students(demo: DemoSchool) -> None:
    """The roster: names, birth dates that fit the cohort (12–15 years old), ID numbers with
    the birth date and a valid check digit, guardians and home details that fit the family
    (left-behind children live with grandparents while the parents work far away)."""
    rng = demo.rng("students")
    school_town = _town_of(demo.school)
    students = []
    for number, pupil in enumerate(demo.pupils, start=1):
        surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        name = surname + _given_name(rng, male=pupil.male)
        # A late start would make a 九年级 student 16: only the younger cohorts have late starters.
        late = pupil.entry_year > demo.first_year - 2 and rng.random() < 0.05
        birth = _birth_date(rng, entry_year=pupil.entry_year, late=late)
        id_number = _id_number(rng, birth=birth, male=pupil.male, taken=demo.id_numbers)
        guardian_name, relation = _guardian(rng, surname=surname, left_behind=left_behind(pupil))
        town = school_town if rng.random() < 0.8 else rng.choice(TOWNS)
        students.append(
            Student(
                school=demo.school,
                # A school-issued number: the national "G" + ID form would print the ID
                # number in full wherever the 学籍号 is shown, defeating its masking.
                student_no=f"{demo.school.code}{pupil.entry_year}{number:04d}",
                name=name,
                gender=Student.Gender.MALE if pupil.male else Student.Gender.FEMALE,
                birth_date=birth,
                id_number=id_number,
                cohort=pupil.school_class.cohort,
                school_class=pupil.school_class,
                guardian_name=guardian_name,
                guardian_relation=relation,
                guardian_phone=_phone(rng),
                address=f"贵州省{COUNTY_NAME}{town}{rng.choice(VILLAGES)}村{rng.randint(1, 12)}组",
                parents_workplace=_workplace(rng, left_behind=left_behind(pupil)),
                boarding=rng.random() < (0.75 if town != school_town else 0.55),
                status=pupil.status,
                # A transferred student left when their pairings ended: at the end of last term.
                left_on=demo.previous.end if pupil.status == Student.Status.TRANSFERRED else None,
            )
        )
    demo_bulk_create(Student, students)
    for pupil, student in zip(demo.pupils, students, strict=True):
        pupil.student = student


def _town_of(school: School) -> str:
    return next((town for town in TOWNS if town in school.name), TOWNS[0])


def _given_name(rng: random.Random, *, male: bool) -> str:
    own = BOY_CHARS if male else GIRL_CHARS
    if rng.random() < 0.3:
        return rng.choice(own)
    first = rng.choice(SHARED_CHARS + own)
    return first + rng.choice(own.replace(first, ""))


def _adult_name(rng: random.Random, *, male: bool, surname: str = "") -> str:
    surname = surname or rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    own = (MAN_CHARS + BOY_CHARS) if male else (WOMAN_CHARS + GIRL_CHARS)
    if rng.random() < 0.25:
        return surname + rng.choice(own)
    return surname + rng.choice(own) + rng.choice(own)


def _birth_date(rng: random.Random, *, entry_year: int, late: bool) -> dt.date:
    """Children enter 七年级 the September after they turn 12 (born September to August), or a
    year later when they started school late."""
    start = dt.date(entry_year - (14 if late else 13), 9, 1)
    return start + dt.timedelta(days=rng.randrange(365))


def _id_number(rng: random.Random, *, birth: dt.date, male: bool, taken: set[str]) -> str:
    """GB 11643: region, birth date, a sequence whose last digit is odd for boys and even for
    girls, then the check character."""
    while True:
        sequence = rng.randrange(100) * 10 + rng.randrange(5) * 2 + (1 if male else 0)
        first17 = f"{rng.choice(REGION_CODES)}{birth:%Y%m%d}{sequence:03d}"
        number = first17 + idcard.check_char(first17)
        if number not in taken:
            taken.add(number)
            return number


def _guardian(rng: random.Random, *, surname: str, left_behind: bool) -> tuple[str, str]:
    if left_behind:
        relation = rng.choices(
            ("祖父", "祖母", "外祖父", "外祖母", "叔叔", "姑姑"), (34, 36, 8, 12, 5, 5)
        )[0]
    else:
        relation = rng.choices(("母亲", "父亲", "祖母", "祖父"), (50, 38, 8, 4))[0]
    male = relation in ("祖父", "外祖父", "叔叔", "父亲")
    # Children take the father's surname: his side of the family shares it.
    same_surname = relation in ("祖父", "叔叔", "父亲", "姑姑")
    return _adult_name(rng, male=male, surname=surname if same_surname else ""), relation


def _workplace(rng: random.Random, *, left_behind: bool) -> str:
    if left_behind:
        return rng.choice(WORKPLACES)
    if rng.random() < 0.25:
        return f"{rng.choice(WORKPLACES)}（{rng.choice(('父亲', '母亲'))}）"
    return ""


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def create_identifications(demo: DemoSchool) -> None:
    """Approved identifications for both semesters, proposed by the homeroom teacher and
    approved by the aid office within the first weeks of the term (动态管理)."""
    rng = demo.rng("identifications")
    identifications = []
    for semester, attribute in ((demo.previous, "previous"), (demo.current, "current")):
        for pupil in demo.pupils:
            for category in getattr(pupil, attribute):
                approved_on = approval_day(demo, semester, rng)
                source, note = _source_and_note(rng, pupil=pupil, category=category)
                identifications.append(
                    Identification(
                        student=pupil.student,
                        semester=semester,
                        category=category,
                        source=source,
                        state=Identification.State.APPROVED,
                        note=note,
                        proposed_by=pupil.school_class.homeroom_teacher,
                        approved_by=demo.office,
                        approved_at=_moment(approved_on, hour=rng.randint(9, 17)),
                    )
                )
    demo_bulk_create(Identification, identifications)


def _moment(day: dt.date, *, hour: int) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    return min(moment, timezone.now())


def _source_and_note(rng: random.Random, *, pupil: Pupil, category: str) -> tuple[str, str]:
    source = Identification.Source
    if category == Category.POOR:
        chosen = rng.choices(
            (source.REGISTERED_POOR, source.SUBSISTENCE, source.SCHOOL), (55, 30, 15)
        )[0]
        return chosen, POOR_NOTES[chosen]
    if category == Category.LEFT_BEHIND:
        return source.SCHOOL, rng.choice(LEFT_BEHIND_NOTES)
    if category == Category.STRUGGLING:
        if pupil.subject:
            return source.SCHOOL, _NOTES["struggling_subject"].format(subject=pupil.subject)
        return source.SCHOOL, _NOTES["struggling_overall"]
    return source.SCHOOL, rng.choice(PROBLEM_NOTES)
