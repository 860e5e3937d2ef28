from django.contrib import admin

from cases.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The category taxonomy is configuration. Cases and customers are not in the admin:
    administrators configure the desk and see no case data."""

    list_display = ("name", "code", "regulatory_sensitive", "is_active", "position")
    list_editable = ("position", "is_active")
    prepopulated_fields = {"code": ("name",)}
