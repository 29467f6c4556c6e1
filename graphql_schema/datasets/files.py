"""uploadFile: its input, payload and root (wiring only; the logic is in resolvers/files/).

The file travels as a GraphQL multipart request (the spec Apollo and urql clients send): the
`operations` part holds the document with `variables.input.file: null`, the `map` part maps
the file part to `variables.input.file`.
"""

from __future__ import annotations

from enum import Enum, StrEnum

import strawberry
from strawberry.file_uploads import Upload

from graphql_schema.context import Info
from graphql_schema.datasets.types import File
from graphql_schema.errors import UserError


class FileErrorCode(StrEnum):
    """`userErrors[].code` values of uploadFile."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    MIME_MISMATCH = "MIME_MISMATCH"


@strawberry.enum(description="What an uploaded file is for.")
class FilePurpose(Enum):
    DATASET = "dataset"
    MODEL = "model"
    DOCUMENT = "document"
    ANALYSIS = "analysis"
    OTHER = "other"


@strawberry.input
class UploadFileInput:
    organization_id: strawberry.ID
    file: Upload = strawberry.field(
        description="The multipart part mapped to `variables.input.file`.")
    purpose: FilePurpose = FilePurpose.OTHER


@strawberry.type(description=(
    "Codes: REQUIRED, TOO_LONG (file name), INVALID, FILE_TOO_LARGE (above the server's upload "
    "limit), MIME_MISMATCH (the name says one type and the content is another)."))
class UploadFilePayload:
    file: File | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FilesMutation:
    @strawberry.mutation(description=(
        "Upload a file into an organization (needs file:write). Send it as a GraphQL "
        "multipart request with a preflight header (`apollo-require-preflight`, "
        "`x-apollo-operation-name` or `graphql-preflight`)."))
    async def upload_file(self, info: Info, input: UploadFileInput) -> UploadFilePayload:
        from resolvers.files.upload import upload_file

        return await upload_file(info, input)
