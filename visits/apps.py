from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("帮扶记录")

    def ready(self) -> None:
        from visits import signals  # models are loaded only now

        signals.connect()
