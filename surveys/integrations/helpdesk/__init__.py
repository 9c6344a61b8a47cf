"""django-helpdesk → ticket events. Enable by adding "helpdesk" and
"surveys.integrations.helpdesk" to INSTALLED_APPS (docs/integrations.md)."""
