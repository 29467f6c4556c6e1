"""Initial schema: every table of DESIGN.md §2 (db/models), created in one revision.

The downgrade drops them all; no extension is created. The column helpers below are
frozen copies of the model conventions: later revisions must not import db.models.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:16:11.510816
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _updated_at() -> sa.Column:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _deleted_at() -> sa.Column:
    return sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True)


def _jsonb(name: str, empty: str = "{}") -> sa.Column:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text(f"'{empty}'::jsonb"),
        nullable=False,
    )


def _text_array(name: str) -> sa.Column:
    return sa.Column(
        name, postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "organizations",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _jsonb("settings"),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _created_at(),
        _updated_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "permissions",
        _id(),
        sa.Column("codename", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resource_type", sa.String(length=100), nullable=True),
        _created_at(),
        _updated_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permissions")),
        sa.UniqueConstraint("codename", name=op.f("uq_permissions_codename")),
    )
    op.create_index(
        op.f("ix_permissions_resource_type"), "permissions", ["resource_type"], unique=False
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=150), nullable=True),
        sa.Column("last_name", sa.String(length=150), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("is_superuser", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _jsonb("settings"),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'suspended', 'pending')", name=op.f("ck_users_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index("ix_users_created_at", "users", ["created_at"], unique=False)
    op.create_index(op.f("ix_users_status"), "users", ["status"], unique=False)
    op.create_table(
        "ai_models",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("model_type", sa.String(length=50), nullable=False),
        sa.Column("framework", sa.String(length=50), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        _jsonb("config"),
        _jsonb("pricing"),
        _jsonb("capabilities", "[]"),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("max_tokens", sa.Integer(), nullable=True),
        sa.Column("context_window", sa.Integer(), nullable=True),
        _text_array("tags"),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'deprecated', 'archived')",
            name=op.f("ck_ai_models_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_ai_models_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ai_models_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_models")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_ai_models_organization_id_name")
        ),
    )
    op.create_index(op.f("ix_ai_models_created_by"), "ai_models", ["created_by"], unique=False)
    op.create_index(op.f("ix_ai_models_model_type"), "ai_models", ["model_type"], unique=False)
    op.create_index(
        "ix_ai_models_organization_id_id", "ai_models", ["organization_id", "id"], unique=False
    )
    op.create_index(op.f("ix_ai_models_provider"), "ai_models", ["provider"], unique=False)
    op.create_index(op.f("ix_ai_models_status"), "ai_models", ["status"], unique=False)
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        _text_array("scopes"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(
        "ix_api_keys_organization_id_id", "api_keys", ["organization_id", "id"], unique=False
    )
    op.create_index(op.f("ix_api_keys_prefix"), "api_keys", ["prefix"], unique=False)
    op.create_index("ix_api_keys_user_id_id", "api_keys", ["user_id", "id"], unique=False)
    op.create_table(
        "applications",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("application_type", sa.String(length=50), server_default="api", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        _jsonb("configuration"),
        sa.Column("version", sa.String(length=50), server_default="1.0", nullable=False),
        _text_array("tags"),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'archived')", name=op.f("ck_applications_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_applications_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_applications_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        op.f("ix_applications_created_by"), "applications", ["created_by"], unique=False
    )
    op.create_index(
        "ix_applications_organization_id_id",
        "applications",
        ["organization_id", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_applications_status"), "applications", ["status"], unique=False)
    op.create_table(
        "audit_logs",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=100), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=True),
        sa.Column("old_values", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("new_values", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_logs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_logs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_action"), "audit_logs", ["action"], unique=False)
    op.create_index("ix_audit_logs_created_at", "audit_logs", ["created_at"], unique=False)
    op.create_index(
        "ix_audit_logs_organization_id_id", "audit_logs", ["organization_id", "id"], unique=False
    )
    op.create_index(
        "ix_audit_logs_resource_type_resource_id",
        "audit_logs",
        ["resource_type", "resource_id"],
        unique=False,
    )
    op.create_index(op.f("ix_audit_logs_user_id"), "audit_logs", ["user_id"], unique=False)
    op.create_table(
        "data_sources",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source_type", sa.String(length=50), nullable=False),
        sa.Column("connection_info_encrypted", sa.LargeBinary(), nullable=True),
        _jsonb("schema_definition"),
        _text_array("tags"),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_data_sources_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_data_sources_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
    )
    op.create_index(
        op.f("ix_data_sources_created_by"), "data_sources", ["created_by"], unique=False
    )
    op.create_index(
        "ix_data_sources_organization_id_id",
        "data_sources",
        ["organization_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_sources_source_type"), "data_sources", ["source_type"], unique=False
    )
    op.create_table(
        "files",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("file_type", sa.String(length=100), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("storage_provider", sa.String(length=50), server_default="local", nullable=False),
        sa.Column("storage_path", sa.String(length=1024), nullable=False),
        sa.Column("checksum", sa.String(length=128), nullable=True),
        _jsonb("metadata"),
        sa.Column("status", sa.String(length=20), server_default="uploaded", nullable=False),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "status IN ('uploading', 'uploaded', 'processing', 'ready', 'failed')",
            name=op.f("ck_files_status"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_files_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_files_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index(op.f("ix_files_checksum"), "files", ["checksum"], unique=False)
    op.create_index("ix_files_created_at", "files", ["created_at"], unique=False)
    op.create_index(op.f("ix_files_file_type"), "files", ["file_type"], unique=False)
    op.create_index("ix_files_organization_id_id", "files", ["organization_id", "id"], unique=False)
    op.create_index(op.f("ix_files_status"), "files", ["status"], unique=False)
    op.create_index(op.f("ix_files_user_id"), "files", ["user_id"], unique=False)
    op.create_table(
        "groups",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_groups_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_groups_organization_id_name")),
    )
    op.create_index(
        "ix_groups_organization_id_id", "groups", ["organization_id", "id"], unique=False
    )
    op.create_table(
        "knowledge_collections",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "collection_type", sa.String(length=50), server_default="document", nullable=False
        ),
        sa.Column("vector_store", sa.String(length=20), server_default="pgvector", nullable=False),
        sa.Column("vector_collection_id", sa.String(length=255), nullable=True),
        sa.Column(
            "embedding_model",
            sa.String(length=100),
            server_default="all-MiniLM-L6-v2",
            nullable=False,
        ),
        sa.Column(
            "embedding_dimensions", sa.Integer(), server_default=sa.text("384"), nullable=False
        ),
        sa.Column("chunk_size", sa.Integer(), server_default=sa.text("1000"), nullable=False),
        sa.Column("chunk_overlap", sa.Integer(), server_default=sa.text("200"), nullable=False),
        sa.Column("document_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _jsonb("config"),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "vector_store IN ('pgvector', 'qdrant', 'chroma')",
            name=op.f("ck_knowledge_collections_vector_store"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_knowledge_collections_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_collections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_collections")),
        sa.UniqueConstraint(
            "vector_collection_id", name=op.f("uq_knowledge_collections_vector_collection_id")
        ),
    )
    op.create_index(
        op.f("ix_knowledge_collections_collection_type"),
        "knowledge_collections",
        ["collection_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_knowledge_collections_created_by"),
        "knowledge_collections",
        ["created_by"],
        unique=False,
    )
    op.create_index(
        op.f("ix_knowledge_collections_is_active"),
        "knowledge_collections",
        ["is_active"],
        unique=False,
    )
    op.create_index(
        "ix_knowledge_collections_organization_id_id",
        "knowledge_collections",
        ["organization_id", "id"],
        unique=False,
    )
    op.create_table(
        "memberships",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="member", nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("position", sa.String(length=100), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member', 'viewer')", name=op.f("ck_memberships_role")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "organization_id", "user_id", name=op.f("uq_memberships_organization_id_user_id")
        ),
    )
    op.create_index(
        "ix_memberships_organization_id_id", "memberships", ["organization_id", "id"], unique=False
    )
    op.create_index("ix_memberships_user_id_id", "memberships", ["user_id", "id"], unique=False)
    op.create_table(
        "notifications",
        _id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        _jsonb("data"),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notifications_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        op.f("ix_notifications_organization_id"), "notifications", ["organization_id"], unique=False
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"], unique=False)
    op.create_table(
        "projects",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("git_repository_url", sa.Text(), nullable=True),
        _jsonb("configuration"),
        _text_array("tags"),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_projects_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_projects_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_projects_organization_id_name")
        ),
    )
    op.create_index(op.f("ix_projects_created_by"), "projects", ["created_by"], unique=False)
    op.create_index(
        "ix_projects_organization_id_id", "projects", ["organization_id", "id"], unique=False
    )
    op.create_table(
        "system_logs",
        _id(),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("module", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("logger_name", sa.String(length=100), nullable=True),
        sa.Column("function_name", sa.String(length=100), nullable=True),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        _jsonb("metadata"),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')",
            name=op.f("ck_system_logs_level"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_system_logs_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_logs")),
    )
    op.create_index("ix_system_logs_created_at", "system_logs", ["created_at"], unique=False)
    op.create_index(
        "ix_system_logs_level_created_at", "system_logs", ["level", "created_at"], unique=False
    )
    op.create_index(op.f("ix_system_logs_module"), "system_logs", ["module"], unique=False)
    op.create_index(op.f("ix_system_logs_request_id"), "system_logs", ["request_id"], unique=False)
    op.create_index(op.f("ix_system_logs_user_id"), "system_logs", ["user_id"], unique=False)
    op.create_table(
        "system_settings",
        _id(),
        sa.Column("category", sa.String(length=100), server_default="general", nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_encrypted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_editable", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_system_settings_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_settings")),
        sa.UniqueConstraint("category", "key", name=op.f("uq_system_settings_category_key")),
    )
    op.create_index(
        op.f("ix_system_settings_is_public"), "system_settings", ["is_public"], unique=False
    )
    op.create_index(
        op.f("ix_system_settings_updated_by"), "system_settings", ["updated_by"], unique=False
    )
    op.create_table(
        "user_permissions",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("permission_id", sa.UUID(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_user_permissions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_user_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_permissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_permissions")),
        sa.UniqueConstraint(
            "organization_id",
            "user_id",
            "permission_id",
            name=op.f("uq_user_permissions_organization_id_user_id_permission_id"),
        ),
    )
    op.create_index(
        op.f("ix_user_permissions_permission_id"),
        "user_permissions",
        ["permission_id"],
        unique=False,
    )
    op.create_index(
        "ix_user_permissions_user_id_id", "user_permissions", ["user_id", "id"], unique=False
    )
    op.create_table(
        "user_sessions",
        _id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=128), nullable=True),
        _jsonb("device_info"),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "last_used_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_user_sessions_refresh_token_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"], unique=False
    )
    op.create_index("ix_user_sessions_user_id_id", "user_sessions", ["user_id", "id"], unique=False)
    op.create_table(
        "analysis_jobs",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("analysis_type", sa.String(length=50), server_default="charging", nullable=False),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("file_type", sa.String(length=20), nullable=True),
        _jsonb("parameters"),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("progress", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("result_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')",
            name=op.f("ck_analysis_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_analysis_jobs_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_analysis_jobs_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_analysis_jobs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_jobs")),
    )
    op.create_index(
        op.f("ix_analysis_jobs_analysis_type"), "analysis_jobs", ["analysis_type"], unique=False
    )
    op.create_index("ix_analysis_jobs_created_at", "analysis_jobs", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_analysis_jobs_created_by"), "analysis_jobs", ["created_by"], unique=False
    )
    op.create_index(op.f("ix_analysis_jobs_file_id"), "analysis_jobs", ["file_id"], unique=False)
    op.create_index(
        "ix_analysis_jobs_organization_id_id",
        "analysis_jobs",
        ["organization_id", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_analysis_jobs_status"), "analysis_jobs", ["status"], unique=False)
    op.create_table(
        "application_components",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("application_id", sa.UUID(), nullable=False),
        sa.Column("component_type", sa.String(length=50), nullable=False),
        sa.Column("component_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        _jsonb("configuration"),
        sa.Column("order_index", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_components_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_application_components_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_components")),
    )
    op.create_index(
        "ix_application_components_application_id_id",
        "application_components",
        ["application_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_application_components_organization_id"),
        "application_components",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "chat_sessions",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        _jsonb("config"),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_tokens", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "status IN ('active', 'archived')", name=op.f("ck_chat_sessions_status")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["ai_models.id"], name=op.f("fk_chat_sessions_model_id_ai_models")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_chat_sessions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_chat_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    op.create_index("ix_chat_sessions_created_at", "chat_sessions", ["created_at"], unique=False)
    op.create_index(op.f("ix_chat_sessions_model_id"), "chat_sessions", ["model_id"], unique=False)
    op.create_index(
        "ix_chat_sessions_organization_id_id",
        "chat_sessions",
        ["organization_id", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_chat_sessions_status"), "chat_sessions", ["status"], unique=False)
    op.create_index("ix_chat_sessions_user_id_id", "chat_sessions", ["user_id", "id"], unique=False)
    op.create_table(
        "datasets",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("dataset_type", sa.String(length=50), server_default="standard", nullable=False),
        sa.Column("format", sa.String(length=50), nullable=True),
        sa.Column("storage_location", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        _jsonb("schema"),
        _jsonb("metadata"),
        _text_array("tags"),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_datasets_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_datasets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_datasets_source_id_data_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
    )
    op.create_index("ix_datasets_created_at", "datasets", ["created_at"], unique=False)
    op.create_index(op.f("ix_datasets_created_by"), "datasets", ["created_by"], unique=False)
    op.create_index(op.f("ix_datasets_dataset_type"), "datasets", ["dataset_type"], unique=False)
    op.create_index(op.f("ix_datasets_is_public"), "datasets", ["is_public"], unique=False)
    op.create_index(
        "ix_datasets_organization_id_id", "datasets", ["organization_id", "id"], unique=False
    )
    op.create_index(
        "ix_datasets_organization_id_name", "datasets", ["organization_id", "name"], unique=False
    )
    op.create_index(op.f("ix_datasets_source_id"), "datasets", ["source_id"], unique=False)
    op.create_table(
        "experiments",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("git_branch", sa.String(length=255), nullable=True),
        sa.Column("git_commit", sa.String(length=64), nullable=True),
        _jsonb("configuration"),
        _text_array("tags"),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'archived')", name=op.f("ck_experiments_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_experiments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_experiments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_experiments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_index("ix_experiments_created_at", "experiments", ["created_at"], unique=False)
    op.create_index(op.f("ix_experiments_created_by"), "experiments", ["created_by"], unique=False)
    op.create_index(
        op.f("ix_experiments_organization_id"), "experiments", ["organization_id"], unique=False
    )
    op.create_index(
        "ix_experiments_project_id_id", "experiments", ["project_id", "id"], unique=False
    )
    op.create_index(op.f("ix_experiments_status"), "experiments", ["status"], unique=False)
    op.create_table(
        "group_members",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_group_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("group_id", "user_id", name=op.f("uq_group_members_group_id_user_id")),
    )
    op.create_index(
        "ix_group_members_group_id_id", "group_members", ["group_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_group_members_organization_id"), "group_members", ["organization_id"], unique=False
    )
    op.create_index("ix_group_members_user_id_id", "group_members", ["user_id", "id"], unique=False)
    op.create_table(
        "group_permissions",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("permission_id", sa.UUID(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_permissions_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_group_permissions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_group_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_permissions")),
        sa.UniqueConstraint(
            "group_id", "permission_id", name=op.f("uq_group_permissions_group_id_permission_id")
        ),
    )
    op.create_index(
        "ix_group_permissions_group_id_id", "group_permissions", ["group_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_group_permissions_organization_id"),
        "group_permissions",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_group_permissions_permission_id"),
        "group_permissions",
        ["permission_id"],
        unique=False,
    )
    op.create_table(
        "knowledge_documents",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("collection_id", sa.UUID(), nullable=False),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("file_type", sa.String(length=50), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _jsonb("metadata"),
        sa.Column(
            "upload_status", sa.String(length=20), server_default="uploading", nullable=False
        ),
        sa.Column("processing_error", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        _deleted_at(),
        sa.CheckConstraint(
            "upload_status IN ('uploading', 'processing', 'completed', 'failed')",
            name=op.f("ck_knowledge_documents_upload_status"),
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_knowledge_documents_collection_id_knowledge_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_knowledge_documents_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_documents_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_knowledge_documents_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
    )
    op.create_index(
        "ix_knowledge_documents_collection_id_id",
        "knowledge_documents",
        ["collection_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_knowledge_documents_file_id"), "knowledge_documents", ["file_id"], unique=False
    )
    op.create_index(
        op.f("ix_knowledge_documents_organization_id"),
        "knowledge_documents",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_knowledge_documents_upload_status"),
        "knowledge_documents",
        ["upload_status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_knowledge_documents_uploaded_by"),
        "knowledge_documents",
        ["uploaded_by"],
        unique=False,
    )
    op.create_table(
        "model_versions",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("storage_location", sa.Text(), nullable=True),
        _jsonb("metrics"),
        _jsonb("parameters"),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("source_run_id", sa.UUID(), nullable=True),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _jsonb("artifacts"),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('draft', 'staging', 'production', 'archived')",
            name=op.f("ck_model_versions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_model_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_model_versions_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["ai_models.id"],
            name=op.f("fk_model_versions_model_id_ai_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_model_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("model_id", "version", name=op.f("uq_model_versions_model_id_version")),
    )
    op.create_index(
        op.f("ix_model_versions_created_by"), "model_versions", ["created_by"], unique=False
    )
    op.create_index(op.f("ix_model_versions_file_id"), "model_versions", ["file_id"], unique=False)
    op.create_index(
        "ix_model_versions_model_id_id", "model_versions", ["model_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_model_versions_organization_id"),
        "model_versions",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_model_versions_source_run_id"), "model_versions", ["source_run_id"], unique=False
    )
    op.create_index(op.f("ix_model_versions_status"), "model_versions", ["status"], unique=False)
    op.create_table(
        "object_permissions",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("permission_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("group_id", sa.UUID(), nullable=True),
        sa.Column("resource_type", sa.String(length=100), nullable=False),
        sa.Column("resource_id", sa.UUID(), nullable=False),
        _created_at(),
        sa.CheckConstraint(
            "num_nonnulls(user_id, group_id) = 1", name=op.f("ck_object_permissions_grantee")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_object_permissions_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_object_permissions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_object_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_object_permissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_object_permissions")),
    )
    op.create_index(
        op.f("ix_object_permissions_group_id"), "object_permissions", ["group_id"], unique=False
    )
    op.create_index(
        op.f("ix_object_permissions_organization_id"),
        "object_permissions",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_object_permissions_permission_id"),
        "object_permissions",
        ["permission_id"],
        unique=False,
    )
    op.create_index(
        "ix_object_permissions_resource_type_resource_id",
        "object_permissions",
        ["resource_type", "resource_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_object_permissions_user_id"), "object_permissions", ["user_id"], unique=False
    )
    op.create_table(
        "rag_queries",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("collection_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("query_text", sa.Text(), nullable=False),
        sa.Column("result_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("response_text", sa.Text(), nullable=True),
        sa.Column("query_time_ms", sa.Integer(), nullable=True),
        _jsonb("metadata"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["knowledge_collections.id"],
            name=op.f("fk_rag_queries_collection_id_knowledge_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_rag_queries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_rag_queries_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rag_queries")),
    )
    op.create_index(
        "ix_rag_queries_collection_id_id", "rag_queries", ["collection_id", "id"], unique=False
    )
    op.create_index("ix_rag_queries_created_at", "rag_queries", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_rag_queries_organization_id"), "rag_queries", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_rag_queries_user_id"), "rag_queries", ["user_id"], unique=False)
    op.create_table(
        "analysis_results",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("result_type", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("confidence_score", sa.Double(), nullable=True),
        _jsonb("metadata"),
        _created_at(),
        sa.CheckConstraint(
            "confidence_score >= 0 AND confidence_score <= 1",
            name=op.f("ck_analysis_results_confidence_score"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["analysis_jobs.id"],
            name=op.f("fk_analysis_results_job_id_analysis_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_analysis_results_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_results")),
    )
    op.create_index(
        "ix_analysis_results_job_id_id", "analysis_results", ["job_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_analysis_results_organization_id"),
        "analysis_results",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_analysis_results_result_type"), "analysis_results", ["result_type"], unique=False
    )
    op.create_table(
        "chat_messages",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=50), server_default="text", nullable=False),
        _jsonb("metadata"),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("parent_message_id", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'system', 'tool')", name=op.f("ck_chat_messages_role")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_chat_messages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_message_id"],
            ["chat_messages.id"],
            name=op.f("fk_chat_messages_parent_message_id_chat_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "session_id",
            "sequence_number",
            name=op.f("uq_chat_messages_session_id_sequence_number"),
        ),
    )
    op.create_index("ix_chat_messages_created_at", "chat_messages", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_chat_messages_organization_id"), "chat_messages", ["organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_chat_messages_parent_message_id"),
        "chat_messages",
        ["parent_message_id"],
        unique=False,
    )
    op.create_table(
        "data_processing_tasks",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("task_type", sa.String(length=50), nullable=False),
        _jsonb("configuration"),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("source_dataset_id", sa.UUID(), nullable=True),
        sa.Column("target_dataset_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("progress", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("execution_logs", sa.Text(), nullable=True),
        sa.Column("external_job_id", sa.String(length=200), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled')",
            name=op.f("ck_data_processing_tasks_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_data_processing_tasks_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_data_processing_tasks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_dataset_id"],
            ["datasets.id"],
            name=op.f("fk_data_processing_tasks_source_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_data_processing_tasks_source_id_data_sources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_dataset_id"],
            ["datasets.id"],
            name=op.f("fk_data_processing_tasks_target_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_processing_tasks")),
    )
    op.create_index(
        op.f("ix_data_processing_tasks_created_by"),
        "data_processing_tasks",
        ["created_by"],
        unique=False,
    )
    op.create_index(
        "ix_data_processing_tasks_organization_id_id",
        "data_processing_tasks",
        ["organization_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_processing_tasks_source_dataset_id"),
        "data_processing_tasks",
        ["source_dataset_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_processing_tasks_source_id"),
        "data_processing_tasks",
        ["source_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_processing_tasks_status"), "data_processing_tasks", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_data_processing_tasks_target_dataset_id"),
        "data_processing_tasks",
        ["target_dataset_id"],
        unique=False,
    )
    op.create_table(
        "dataset_versions",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("dataset_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("storage_location", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("changes_description", sa.Text(), nullable=True),
        _jsonb("metadata"),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_dataset_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_versions_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_dataset_versions_file_id_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_dataset_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_versions")),
        sa.UniqueConstraint(
            "dataset_id", "version", name=op.f("uq_dataset_versions_dataset_id_version")
        ),
    )
    op.create_index(
        op.f("ix_dataset_versions_created_by"), "dataset_versions", ["created_by"], unique=False
    )
    op.create_index(
        "ix_dataset_versions_dataset_id_id", "dataset_versions", ["dataset_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_dataset_versions_file_id"), "dataset_versions", ["file_id"], unique=False
    )
    op.create_index(
        op.f("ix_dataset_versions_organization_id"),
        "dataset_versions",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "deployments",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("model_version_id", sa.UUID(), nullable=True),
        sa.Column("application_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("service_type", sa.String(length=50), server_default="builtin", nullable=False),
        sa.Column("environment", sa.String(length=50), server_default="dev", nullable=False),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.Column("endpoint_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("replicas", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _jsonb("resource_allocation"),
        _jsonb("autoscaling_config"),
        sa.Column("traffic_percentage", sa.Double(), server_default=sa.text("100"), nullable=False),
        _jsonb("configuration"),
        _jsonb("metrics"),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('pending', 'deploying', 'running', 'stopped', 'failed')",
            name=op.f("ck_deployments_status"),
        ),
        sa.CheckConstraint(
            "num_nonnulls(model_version_id, application_id) = 1", name=op.f("ck_deployments_target")
        ),
        sa.CheckConstraint("replicas >= 0", name=op.f("ck_deployments_replicas")),
        sa.CheckConstraint(
            "traffic_percentage >= 0 AND traffic_percentage <= 100",
            name=op.f("ck_deployments_traffic_percentage"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_deployments_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_deployments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_deployments_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_deployments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    op.create_index(
        "ix_deployments_application_id_id", "deployments", ["application_id", "id"], unique=False
    )
    op.create_index(op.f("ix_deployments_created_by"), "deployments", ["created_by"], unique=False)
    op.create_index(
        op.f("ix_deployments_environment"), "deployments", ["environment"], unique=False
    )
    op.create_index(
        "ix_deployments_model_version_id_id",
        "deployments",
        ["model_version_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_deployments_organization_id_id", "deployments", ["organization_id", "id"], unique=False
    )
    op.create_index(op.f("ix_deployments_status"), "deployments", ["status"], unique=False)
    op.create_table(
        "model_usage_logs",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("request_type", sa.String(length=50), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("cost", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        _jsonb("metadata"),
        _created_at(),
        sa.CheckConstraint(
            "status IN ('success', 'error', 'timeout', 'cancelled')",
            name=op.f("ck_model_usage_logs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["ai_models.id"],
            name=op.f("fk_model_usage_logs_model_id_ai_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_model_usage_logs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_model_usage_logs_session_id_chat_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_model_usage_logs_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_usage_logs")),
    )
    op.create_index(
        "ix_model_usage_logs_created_at", "model_usage_logs", ["created_at"], unique=False
    )
    op.create_index(
        "ix_model_usage_logs_model_id_id", "model_usage_logs", ["model_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_model_usage_logs_organization_id"),
        "model_usage_logs",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_model_usage_logs_session_id"), "model_usage_logs", ["session_id"], unique=False
    )
    op.create_index(
        op.f("ix_model_usage_logs_status"), "model_usage_logs", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_model_usage_logs_user_id"), "model_usage_logs", ["user_id"], unique=False
    )
    op.create_table(
        "performance_metrics",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("model_version_id", sa.UUID(), nullable=True),
        sa.Column("metric_name", sa.String(length=100), nullable=False),
        sa.Column("metric_value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        _jsonb("labels"),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["ai_models.id"],
            name=op.f("fk_performance_metrics_model_id_ai_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_performance_metrics_model_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_performance_metrics_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_metrics")),
    )
    op.create_index(
        "ix_performance_metrics_model_id_id",
        "performance_metrics",
        ["model_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_performance_metrics_model_id_metric_name_recorded_at",
        "performance_metrics",
        ["model_id", "metric_name", "recorded_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_performance_metrics_model_version_id"),
        "performance_metrics",
        ["model_version_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_performance_metrics_organization_id"),
        "performance_metrics",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "runs",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("experiment_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("dataset_id", sa.UUID(), nullable=True),
        sa.Column("base_model_version_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        _jsonb("hyperparameters"),
        _jsonb("summary_metrics"),
        sa.Column("progress", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("current_epoch", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_epochs", sa.Integer(), nullable=True),
        sa.Column("current_step", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_steps", sa.Integer(), nullable=True),
        sa.Column("artifacts_location", sa.Text(), nullable=True),
        sa.Column("logs_location", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _created_at(),
        _updated_at(),
        sa.CheckConstraint(
            "status IN ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled')",
            name=op.f("ck_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["base_model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_runs_base_model_version_id_model_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_runs_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_runs_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_runs_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(
        op.f("ix_runs_base_model_version_id"), "runs", ["base_model_version_id"], unique=False
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"], unique=False)
    op.create_index(op.f("ix_runs_created_by"), "runs", ["created_by"], unique=False)
    op.create_index(op.f("ix_runs_dataset_id"), "runs", ["dataset_id"], unique=False)
    op.create_index("ix_runs_experiment_id_id", "runs", ["experiment_id", "id"], unique=False)
    op.create_index(op.f("ix_runs_organization_id"), "runs", ["organization_id"], unique=False)
    op.create_index(op.f("ix_runs_status"), "runs", ["status"], unique=False)
    op.create_table(
        "run_metrics",
        _id(),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("loss", sa.Double(), nullable=True),
        sa.Column("accuracy", sa.Double(), nullable=True),
        sa.Column("learning_rate", sa.Double(), nullable=True),
        sa.Column("gpu_memory_mb", sa.Double(), nullable=True),
        _jsonb("custom"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_run_metrics_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_metrics_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_metrics")),
    )
    op.create_index(
        op.f("ix_run_metrics_organization_id"), "run_metrics", ["organization_id"], unique=False
    )
    op.create_index(
        "ix_run_metrics_run_id_step_id", "run_metrics", ["run_id", "step", "id"], unique=False
    )
    # model_versions and runs reference each other: this side is added once both exist
    op.create_foreign_key(
        op.f("fk_model_versions_source_run_id_runs"),
        "model_versions",
        "runs",
        ["source_run_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_model_versions_source_run_id_runs"), "model_versions", type_="foreignkey"
    )
    for table in (
        "run_metrics",
        "runs",
        "performance_metrics",
        "model_usage_logs",
        "deployments",
        "dataset_versions",
        "data_processing_tasks",
        "chat_messages",
        "analysis_results",
        "rag_queries",
        "object_permissions",
        "model_versions",
        "knowledge_documents",
        "group_permissions",
        "group_members",
        "experiments",
        "datasets",
        "chat_sessions",
        "application_components",
        "analysis_jobs",
        "user_sessions",
        "user_permissions",
        "system_settings",
        "system_logs",
        "projects",
        "notifications",
        "memberships",
        "knowledge_collections",
        "groups",
        "files",
        "data_sources",
        "audit_logs",
        "applications",
        "api_keys",
        "ai_models",
        "users",
        "permissions",
        "organizations",
    ):
        op.drop_table(table)
