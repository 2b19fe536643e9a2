"""The OpenAPI document as the service really answers: every status code each operation
can give, in the one error shape it gives them ({status, code, message, errors}, not
FastAPI's {detail}), the security schemes, the case format as the request body, ETags,
and application/fhir+json where a FHIR resource comes back.

Routes declare their error codes with `errors(...)`; the schemathesis suite
(tests/web/test_fuzz.py) fails on any status or body the document does not describe.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from rrall.case.model import Case

ERROR_REF = {"$ref": "#/components/schemas/Error"}
WHY = {
    400: "The body is not JSON (`invalid_json`), or a header is malformed (`bad_request`).",
    401: "No valid bearer token (`unauthorized`, with `WWW-Authenticate: Bearer`).",
    403: "The token's user lacks the role this needs (`forbidden`).",
    404: "No such case, assessment or meeting (`not_found`).",
    409: "Clashes with what is stored: a case id already taken, an assessment of another case "
         "(`conflict`).",
    412: "If-Match names a version that is no longer the latest (`precondition_failed`).",
    413: "The body is over the size limit (`too_large`).",
    422: "The case (`invalid_case`) or another input (`invalid_input`) is not valid; `errors` "
         "names each field.",
    429: "Too many failed logins (`too_many_requests`).",
}
FIELD_ERROR = {
    "type": "object", "required": ["path", "message"], "additionalProperties": False,
    "properties": {"path": {"type": "string", "description": "The field, e.g. relapses[0].date; empty: "
                                                             "the whole input."},
                   "message": {"type": "string"},
                   "allowed": {"type": "string", "description": "What would be accepted."}}}
ERROR = {
    "type": "object", "required": ["status", "code", "message", "errors"], "additionalProperties": False,
    "description": "Every error on every path, unknown routes included.",
    "properties": {"status": {"type": "integer", "description": "The HTTP status again."},
                   "code": {"type": "string", "description": "bad_request, invalid_json, unauthorized, "
                            "forbidden, not_found, method_not_allowed, conflict, precondition_failed, "
                            "too_large, invalid_case, invalid_input, too_many_requests, internal_error"},
                   "message": {"type": "string"},
                   "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}}}
CDS_ERROR = {"allOf": [{"$ref": "#/components/schemas/Error"}, {
    "type": "object", "properties": {"operationOutcome": {
        "type": "object", "description": "The same error as a FHIR R4 OperationOutcome (CDS Hooks 2.0)"}}}]}
CDS_WHY = {
    400: "Not a CDS Hooks request for this service's hook.",
    401: "No valid JWT from a configured client.",
    403: "fhirServer is not one this client is configured for.",
    404: "No such CDS service.",
    412: "The record cannot be read: no prefetch and no fhirServer, or the FHIR server failed.",
    413: "The body is over the size limit.",
    503: "RRALL_PUBLIC_URL is not set and the request did not come from this machine.",
}
ETAG = {"ETag": {"description": 'The case version, quoted ("3"): send it back in If-Match.',
                 "schema": {"type": "string"}}}
WITH_ETAG = {("get", "/api/v1/cases/{pk}", "200"), ("put", "/api/v1/cases/{pk}", "200"),
             ("post", "/api/v1/cases", "201")}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that can answer with these error codes."""
    return {code: {"description": WHY[code], "content": {"application/json": {"schema": ERROR_REF}}}
            for code in codes}


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {})
    models = components.setdefault("schemas", {})
    case = Case.model_json_schema(ref_template="#/components/schemas/{model}")
    models.update(case.pop("$defs", {}))
    models |= {"Case": case, "Error": ERROR, "FieldError": FIELD_ERROR, "CdsError": CDS_ERROR}
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's {detail}: never sent
        models.pop(unused, None)
    components.setdefault("securitySchemes", {})["cdsJwt"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "CDS Hooks 2.0: a JWT signed by a configured client (RS384 or ES384, kid required)."}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/cds-services") and method == "post":
                _cds(operation)
            for status, response in operation.get("responses", {}).items():
                if (method, path, status) in WITH_ETAG:
                    response["headers"] = ETAG
    app.openapi_schema = schema
    return schema


def _cds(operation: dict[str, Any]) -> None:
    operation["security"] = [{"cdsJwt": []}]
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for code, why in CDS_WHY.items():
        responses.setdefault(str(code), {
            "description": why,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CdsError"}}}})
