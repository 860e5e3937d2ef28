from django.contrib import admin

from metrics.models import Campaign, HandleTime, SurveyOptOut


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "expected_extra_cases"]
    filter_horizontal = ["categories"]


@admin.register(HandleTime)
class HandleTimeAdmin(admin.ModelAdmin):
    list_display = ["category", "minutes", "set_at"]
    readonly_fields = ["set_by", "set_at"]


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(admin.ModelAdmin):
    # Customers only by account number: admins see no case data and no PII beyond what opting out needs.
    list_display = ["customer_id", "opted_out_at"]
    raw_id_fields = ["customer"]
