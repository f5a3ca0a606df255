from django.contrib import admin

from projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "county", "industry", "status"]
    list_filter = ["county", "industry", "status"]
    search_fields = ["code", "name"]
