from django.db import migrations

# PostgreSQL refuses UPDATE and DELETE on asset versions: a published version never changes.
CREATE = """
CREATE OR REPLACE FUNCTION governance_assetversion_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'governance_assetversion is immutable: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_assetversion_immutable
    BEFORE UPDATE OR DELETE ON governance_assetversion
    FOR EACH ROW EXECUTE FUNCTION governance_assetversion_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS governance_assetversion_immutable ON governance_assetversion;
DROP FUNCTION IF EXISTS governance_assetversion_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # the function body has a literal %, not a placeholder


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_asset_library")]
    operations = [migrations.RunPython(forwards, backwards)]
