from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingConfig(AppConfig):
    name = "pairing"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("结对帮扶")

    def ready(self) -> None:
        from pairing import services  # noqa: F401  (connects the receiver of students' leaving)
