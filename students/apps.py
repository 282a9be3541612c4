from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("学生与学校")

    def ready(self) -> None:
        from students import checks  # noqa: F401  (registers the ID-number key checks)
