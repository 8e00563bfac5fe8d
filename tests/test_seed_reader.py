"""Tests of tests/seed_reader.py: the parser the spec parity tests rely on."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from generator.pipeline.naming import snake_case
from tests.seed_reader import (
    NO_DEFAULT,
    SEEDS_ENV,
    STYLE_OAG,
    STYLE_OAG_EXPERIMENTAL,
    STYLE_SPEAKEASY,
    SeedOperation,
    clean_cell,
    detect_style,
    path_variables,
    read_seed,
    read_seeds,
    seed_files,
    strip_links,
)


@pytest.fixture(scope="module")
def seeds() -> list[SeedOperation]:
    return read_seeds()


def op(seeds: list[SeedOperation], api: str, name: str) -> SeedOperation:
    matches = [s for s in seeds if s.api == api and s.name == name]
    assert len(matches) == 1, f"{api}.{name}: {len(matches)} matches"
    return matches[0]


# --------------------------------------------------------------------------
# Whole-corpus properties
# --------------------------------------------------------------------------


def test_operation_counts_per_seed() -> None:
    counts = [len(read_seed(path)) for path in seed_files()]
    assert counts == [5, 5, 5, 8, 9]


def test_operation_counts_per_api(seeds: list[SeedOperation]) -> None:
    assert len(seeds) == 32
    assert Counter(s.api for s in seeds) == {
        "opendatasoft_automation": 5,
        "mammoth_analytics": 5,
        "codat_python_sdk": 5,
        "airflow_client": 8,
        "airbyte_config_api_client": 9,
    }


def test_styles_detected(seeds: list[SeedOperation]) -> None:
    styles = {s.api: s.style for s in seeds}
    assert styles == {
        "opendatasoft_automation": STYLE_OAG,
        "mammoth_analytics": STYLE_SPEAKEASY,
        "codat_python_sdk": STYLE_OAG,
        "airflow_client": STYLE_OAG,
        "airbyte_config_api_client": STYLE_OAG_EXPERIMENTAL,
    }


def test_groups(seeds: list[SeedOperation]) -> None:
    assert {s.api: s.group for s in seeds} == {
        "opendatasoft_automation": "datasources_connections",
        "mammoth_analytics": "connections",
        "codat_python_sdk": "connection",
        "airflow_client": "connection",
        "airbyte_config_api_client": "connection",
    }


def test_operations_are_unique(seeds: list[SeedOperation]) -> None:
    keys = [(s.api, s.group, s.name) for s in seeds]
    assert len(keys) == len(set(keys))
    routes = [(s.api, s.http_method, s.path) for s in seeds]
    assert len(routes) == len(set(routes))


@pytest.mark.parametrize("seed", read_seeds(), ids=lambda s: f"{s.api}.{s.name}")
def test_every_operation_is_well_formed(seed: SeedOperation) -> None:
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", seed.name)
    assert seed.http_method in {
        "GET",
        "PUT",
        "POST",
        "DELETE",
        "PATCH",
        "HEAD",
        "OPTIONS",
    }
    assert seed.path.startswith("/")
    assert seed.status_codes, "every operation documents at least one status"
    assert all(re.fullmatch(r"\d{3}|[1-5]XX|0", code) for code in seed.status_codes)
    # every path variable is a parameter located in the path, and vice versa
    path_params = {p.name for p in seed.parameters if p.location == "path"}
    assert path_params == {snake_case(v) for v in path_variables(seed.path)}
    assert all(p.required for p in seed.parameters if p.location == "path")
    names = [p.name for p in seed.parameters] + ([seed.body.name] if seed.body else [])
    assert len(names) == len(set(names))
    assert all(p.type for p in seed.parameters)
    if seed.body is not None:
        assert seed.body.type
        assert seed.http_method in {"POST", "PUT", "PATCH"}
    if seed.style != STYLE_SPEAKEASY:
        assert seed.status_codes_complete
        # a body is documented exactly when a request content type is
        assert (seed.body is not None) == bool(seed.request_content_types)
        assert seed.response_content_types


@pytest.mark.parametrize(
    "seed",
    [s for s in read_seeds() if s.style == STYLE_OAG],
    ids=lambda s: f"{s.api}.{s.name}",
)
def test_signature_agrees_with_parameter_table(seed: SeedOperation) -> None:
    """Required arguments are positional in the signature, optional ones keywords."""
    assert seed.signature is not None
    args = re.search(r"\((.*)\)", seed.signature).group(1)
    parts = [a.strip() for a in args.split(",") if a.strip()]
    positional = [a for a in parts if "=" not in a]
    keywords = [a.split("=")[0] for a in parts if "=" in a]
    table = list(seed.parameters) + ([seed.body] if seed.body else [])
    order = {p.name: i for i, p in enumerate(table)}
    required = sorted((p.name for p in table if p.required), key=order.get)
    optional = {p.name for p in table if not p.required}
    assert sorted(positional, key=lambda n: order.get(n, -1)) == required
    assert set(keywords) <= optional


# --------------------------------------------------------------------------
# Spot checks, per format
# --------------------------------------------------------------------------


def test_opendatasoft_list_connections(seeds: list[SeedOperation]) -> None:
    s = op(seeds, "opendatasoft_automation", "list_connections")
    assert (s.http_method, s.path) == ("GET", "/datasource_connections/")
    params = s.parameter_map
    assert list(params) == ["limit", "offset", "sort"]
    assert not any(p.required for p in params.values())
    assert params["limit"].type == "float" and params["limit"].default == 20
    assert params["offset"].type == "float" and params["offset"].default is NO_DEFAULT
    assert params["sort"].type == "str" and params["sort"].default == "created_at"
    assert all(p.location is None for p in params.values())
    assert s.body is None
    assert s.return_type == "ListConnections200Response"
    assert s.status_codes == ("200", "0")
    assert s.auth == ("HeaderAPIKey", "QueryAPIKey")
    assert s.auth_kinds == {"HeaderAPIKey": "apiKey", "QueryAPIKey": "apiKey"}
    assert s.request_content_types == ()
    assert s.response_content_types == ("application/json",)


def test_opendatasoft_create_update_delete(seeds: list[SeedOperation]) -> None:
    create = op(seeds, "opendatasoft_automation", "create_connection")
    assert create.parameters == ()
    assert create.body is not None
    assert (create.body.name, create.body.type, create.body.required) == (
        "connection",
        "Connection",
        False,
    )
    assert create.request_content_types == ("application/json",)
    assert create.status_codes == ("201", "400", "0")
    update = op(seeds, "opendatasoft_automation", "update_connection")
    assert update.http_method == "PUT"
    assert update.parameter_map["connection_uid"].location == "path"
    assert update.body is not None and update.body.name == "connection"
    assert update.status_codes == ("200", "400", "404", "0")
    delete = op(seeds, "opendatasoft_automation", "delete_connection")
    assert delete.return_type is None
    assert delete.status_codes == ("204", "404", "0")


def test_codat_list(seeds: list[SeedOperation]) -> None:
    s = op(seeds, "codat_python_sdk", "companies_company_id_connections_get")
    assert (s.http_method, s.path) == ("GET", "/companies/{companyId}/connections")
    params = s.parameter_map
    assert params["company_id"].location == "path" and params["company_id"].required
    assert params["page"].required and params["page"].type == "int"
    assert params["page"].default is NO_DEFAULT
    assert not params["page_size"].required and params["page_size"].default == 100
    assert not params["query"].required and not params["order_by"].required
    assert (
        s.return_type == "CodatPublicApiModelsCompanyDataConnectionPagedResponseModel"
    )
    assert s.status_codes == ("200",)
    assert s.auth == ("API Key Auth", "Codat Login")
    assert s.auth_kinds == {"API Key Auth": "apiKey", "Codat Login": "oauth2"}


def test_codat_bodies_and_returns(seeds: list[SeedOperation]) -> None:
    post = op(seeds, "codat_python_sdk", "companies_company_id_connections_post")
    assert post.body is not None
    assert (post.body.name, post.body.type, post.body.required) == (
        "body",
        "str",
        False,
    )
    patch = op(
        seeds,
        "codat_python_sdk",
        "companies_company_id_connections_connection_id_patch",
    )
    assert patch.body is not None
    assert (
        patch.body.name == "codat_public_api_models_company_patch_data_connection_model"
    )
    assert patch.body.type == "CodatPublicApiModelsCompanyPatchDataConnectionModel"
    assert not patch.body.required
    delete = op(
        seeds,
        "codat_python_sdk",
        "companies_company_id_connections_connection_id_delete",
    )
    assert delete.return_type == "bool"


def test_mammoth_update(seeds: list[SeedOperation]) -> None:
    s = op(seeds, "mammoth_analytics", "update")
    assert s.http_method == "PATCH"
    assert s.path == (
        "/workspaces/{workspace_id}/projects/{project_id}/connectors/{connector_key}"
        "/connections/{connection_key}"
    )
    assert s.operation_id == "UpdateConnection"
    assert s.body is not None
    assert (s.body.name, s.body.type, s.body.required) == (
        "patch",
        "List[models.ConnectionPatchOp]",
        True,
    )
    assert "retries" not in s.parameter_map  # SDK plumbing, not an API parameter
    assert list(s.parameter_map) == [
        "workspace_id",
        "project_id",
        "connector_key",
        "connection_key",
        "is_export",
    ]
    assert s.parameter_map["is_export"].type == "Optional[bool]"
    assert s.return_type == "Any"
    assert s.status_codes == ("400", "401", "4XX", "5XX")
    assert not s.status_codes_complete
    assert s.response_content_types_by_status == {
        "400": ("application/json",),
        "401": ("application/json",),
        "4XX": ("*/*",),
        "5XX": ("*/*",),
    }
    assert s.auth == ("api_key", "api_secret") and s.auth_together
    assert s.auth_names_are_python
    assert s.request_content_types == ()  # not shown by this doc format


def test_mammoth_other_operations(seeds: list[SeedOperation]) -> None:
    get = op(seeds, "mammoth_analytics", "get")
    assert get.parameter_map["concern"].type == "OptionalNullable[models.ConcernType]"
    assert get.parameter_map["profile"].type == "OptionalNullable[str]"
    assert not get.parameter_map["concern"].required
    assert get.parameter_map["workspace_id"].type == "int"
    assert get.body is None
    create = op(seeds, "mammoth_analytics", "create")
    assert create.body is not None
    assert (create.body.name, create.body.type) == (
        "request_body",
        "models.SaveConnectionRequestBody",
    )
    assert create.http_method == "POST"
    listing = op(seeds, "mammoth_analytics", "list")
    assert listing.return_type == "ListConnectionsSchema"
    assert listing.status_codes == ("4XX", "5XX")
    delete = op(seeds, "mammoth_analytics", "delete")
    assert delete.return_type is None and delete.body is None


def test_airflow(seeds: list[SeedOperation]) -> None:
    listing = op(seeds, "airflow_client", "get_connections")
    defaults = {p.name: p.default for p in listing.parameters}
    assert defaults == {
        "limit": 50,
        "offset": 0,
        "order_by": "id",
        "connection_id_pattern": NO_DEFAULT,
    }
    patch = op(seeds, "airflow_client", "patch_connection")
    assert patch.parameter_map["update_mask"].type == "List[str]"
    assert not patch.parameter_map["update_mask"].required
    assert patch.body is not None
    assert (patch.body.name, patch.body.type, patch.body.required) == (
        "connection_body",
        "ConnectionBody",
        True,
    )
    assert patch.status_codes == ("200", "400", "401", "403", "404", "422")
    defaults_op = op(seeds, "airflow_client", "create_default_connections")
    assert defaults_op.parameters == () and defaults_op.body is None
    assert defaults_op.return_type is None and defaults_op.status_codes == (
        "204",
        "401",
        "403",
    )
    bulk = op(seeds, "airflow_client", "bulk_connections")
    assert bulk.body is not None and bulk.body.name == "bulk_body_connection_body"
    assert bulk.return_type == "BulkResponse"
    assert all(
        s.auth == ("OAuth2PasswordBearer",) for s in seeds if s.api == "airflow_client"
    )


def test_airbyte(seeds: list[SeedOperation]) -> None:
    ops = [s for s in seeds if s.api == "airbyte_config_api_client"]
    for s in ops:
        assert s.http_method == "POST"
        assert s.parameters == ()
        assert s.body is not None and s.body.name == "body" and s.body.required
        assert s.auth == ()
        assert s.request_content_types == ("application/json",)
        assert s.response_content_types == ("application/json",)
    create = op(seeds, "airbyte_config_api_client", "create_connection")
    assert create.body is not None and create.body.type == "ConnectionCreate"
    assert create.return_type == "ConnectionRead"
    assert create.status_codes == ("200", "422")
    assert create.response_types_by_status == {
        "200": "ConnectionRead",
        "422": "InvalidInputExceptionInfo",
    }
    delete = op(seeds, "airbyte_config_api_client", "delete_connection")
    assert delete.return_type is None
    assert delete.status_codes == ("204", "404", "422")
    assert delete.body is not None and delete.body.type == "ConnectionIdRequestBody"
    search = op(seeds, "airbyte_config_api_client", "search_connections")
    assert search.path == "/v1/connections/search"
    assert search.return_type == "ConnectionReadList"


# --------------------------------------------------------------------------
# Helpers and structure-driven parsing on synthetic documents
# --------------------------------------------------------------------------


def test_strip_links_handles_nested_brackets() -> None:
    assert strip_links("[**Connection**](Connection.md)") == "**Connection**"
    assert strip_links("[**List[str]**](str.md)") == "**List[str]**"
    assert (
        strip_links(
            "[OptionalNullable[models.ConcernType]](../../models/concerntype.md)"
        )
        == "OptionalNullable[models.ConcernType]"
    )
    assert (
        strip_links(
            "List[[models.ConnectionPatchOp](../../models/connectionpatchop.md)]"
        )
        == "List[models.ConnectionPatchOp]"
    )
    assert clean_cell("*Optional[bool]*") == "Optional[bool]"
    assert clean_cell("`workspace_id`") == "workspace_id"
    assert clean_cell("\\*/\\*") == "*/*"


def test_detect_style() -> None:
    assert detect_style("# pkg.apis.tags.x_api.XApi\n") == STYLE_OAG_EXPERIMENTAL
    assert detect_style("# X\n### Available Operations\n") == STYLE_SPEAKEASY
    assert detect_style("# pkg.XApi\n# **op**\n") == STYLE_OAG


OAG_SAMPLE = """\
# petstore.PetsApi

All URIs are relative to *http://localhost*

Method | HTTP request | Description
------------- | ------------- | -------------
[**find_pets**](PetsApi.md#find_pets) | **GET** /owners/{ownerId}/pets | Find pets
[**add_pet**](PetsApi.md#add_pet) | **POST** /pets | Add

# **find_pets**
> List[Pet] find_pets(owner_id, tags=tags, max=max)

### Example

* Bearer Authentication (petAuth):

```python
# **not_an_operation**
```

### Parameters

Name | Type | Description  | Notes
------------- | ------------- | ------------- | -------------
 **owner_id** | **int**|  | 
 **tags** | [**List[str]**](str.md)| tags | [optional] 
 **max** | **int**|  | [optional] [default to 10]

### Return type

[**List[Pet]**](Pet.md)

### Authorization

[petAuth](../README.md#petAuth)

### HTTP request headers

 - **Content-Type**: Not defined
 - **Accept**: application/json, application/xml

### HTTP response details

| Status code | Description | Response headers |
|-------------|-------------|------------------|
**200** | ok |  -  |
**0** | error |  -  |

# **add_pet**
> add_pet(new_pet)

### Parameters

Name | Type | Description  | Notes
------------- | ------------- | ------------- | -------------
 **new_pet** | [**NewPet**](NewPet.md)|  | 

### Return type

void (empty response body)

### Authorization

No authorization required

### HTTP request headers

 - **Content-Type**: application/json
 - **Accept**: Not defined

### HTTP response details

| Status code | Description | Response headers |
|-------------|-------------|------------------|
**204** | done |  -  |
"""

SPEAKEASY_SAMPLE = """\
# Pets
(*pets*)

## Overview

### Available Operations

* [add](#add) - Add a pet

## add

Add a pet

### Example Usage

<!-- UsageSnippet language="python" operationID="AddPet" method="post" path="/owners/{owner_id}/pets" -->
```python
from petstore import Petstore, models

with Petstore(security=models.Security(bearer_auth="x")) as client:
    res = client.pets.add(owner_id=1, pet={"name": "rex"}, kind=models.Kind.DOG, dry_run=True)
```

### Parameters

| Parameter | Type | Required | Description | Example |
| --------- | ---- | -------- | ----------- | ------- |
| `owner_id` | *int* | :heavy_check_mark: | owner | 1 |
| `pet` | [models.NewPet](../../models/newpet.md) | :heavy_check_mark: | N/A | {} |
| `kind` | [Optional[models.Kind]](../../models/kind.md) | :heavy_minus_sign: | kind | dog |
| `dry_run` | *Optional[bool]* | :heavy_minus_sign: | dry | true |
| `retries` | [Optional[utils.RetryConfig]](../../models/utils/retryconfig.md) | :heavy_minus_sign: | retry | |

### Response

**[models.Pet](../../models/pet.md)**

### Errors

| Error Type | Status Code | Content Type |
| ---------- | ----------- | ------------ |
| errors.Conflict | 409 | application/json |
| errors.SDKError | 4XX, 5XX | \\*/\\* |
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_reader_is_structure_driven_oag(tmp_path: Path) -> None:
    ops = read_seed(_write(tmp_path, "900_oag.txt", OAG_SAMPLE))
    assert [o.name for o in ops] == ["find_pets", "add_pet"]
    find, add = ops
    assert find.api == "petstore" and find.group == "pets"
    assert (find.http_method, find.path) == ("GET", "/owners/{ownerId}/pets")
    assert [
        (p.name, p.type, p.required, p.default, p.location) for p in find.parameters
    ] == [
        ("owner_id", "int", True, NO_DEFAULT, "path"),
        ("tags", "List[str]", False, NO_DEFAULT, None),
        ("max", "int", False, 10, None),
    ]
    assert find.return_type == "List[Pet]"
    assert find.status_codes == ("200", "0")
    assert find.auth == ("petAuth",) and find.auth_kinds == {"petAuth": "http"}
    assert find.response_content_types == ("application/json", "application/xml")
    assert add.body is not None and (add.body.name, add.body.required) == (
        "new_pet",
        True,
    )
    assert (
        add.return_type is None and add.auth == () and add.response_content_types == ()
    )


def test_reader_is_structure_driven_speakeasy(tmp_path: Path) -> None:
    (add,) = read_seed(_write(tmp_path, "901_speakeasy.txt", SPEAKEASY_SAMPLE))
    assert (add.api, add.group, add.name) == ("petstore", "pets", "add")
    assert (add.http_method, add.path, add.operation_id) == (
        "POST",
        "/owners/{owner_id}/pets",
        "AddPet",
    )
    assert add.body is not None and (add.body.name, add.body.type) == (
        "pet",
        "models.NewPet",
    )
    assert [p.name for p in add.parameters] == ["owner_id", "kind", "dry_run"]
    assert add.return_type == "Pet"
    assert add.status_codes == ("409", "4XX", "5XX")
    assert add.auth == ("bearer_auth",) and not add.auth_together


def test_missing_seed_directory_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SEEDS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="seed directory .* is missing"):
        seed_files()
