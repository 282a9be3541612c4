from django.apps import AppConfig


class AidcaseConfig(AppConfig):
    name = "aidcase"
    verbose_name = "AidCase"

    def ready(self) -> None:
        from aidcase import checks  # noqa: F401  (registers the system checks)
