"""The API reference page: the OpenAPI document rendered as one static HTML page, server-side.

No script and no CDN: the page is plain HTML and a little CSS, so it works offline and under a
strict Content-Security-Policy.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;
line-height:1.45}code,pre{font-family:ui-monospace,monospace;font-size:.9em}
pre{background:#f5f5f5;padding:.6rem;overflow:auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
.op{border-top:1px solid #ddd;margin-top:1.5rem}.method{font-weight:bold;text-transform:uppercase}
"""


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    return f"<code>{escape(json.dumps(schema))}</code>"


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    parts = [
        f'<div class="op" id="{escape(op["operationId"])}">',
        f'<h3><span class="method">{escape(method)}</span> <code>{escape(path)}</code></h3>',
        f"<p><strong>{escape(op['summary'])}</strong></p>",
        f"<p>{escape(op.get('description', ''))}</p>",
    ]
    if op.get("parameters"):
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td><code>{escape(json.dumps(p.get('schema', {})))}</code></td>"
            f"<td>{escape(p.get('description', ''))}</td></tr>"
            for p in op["parameters"]
        )
        parts.append(
            "<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Schema</th>"
            f"<th>Description</th></tr>{rows}</table>"
        )
    body = op.get("requestBody")
    if body:
        kinds = ", ".join(
            f"<code>{escape(media)}</code> {_ref_name(content['schema'])}"
            for media, content in body["content"].items()
        )
        parts.append(f"<p>Body ({'required' if body['required'] else 'optional'}): {kinds}</p>")
    rows = "".join(
        f"<tr><td>{escape(status)}</td><td>{escape(response['description'])}</td><td>"
        + ", ".join(
            f"<code>{escape(media)}</code> {_ref_name(content['schema'])}"
            for media, content in response.get("content", {}).items()
        )
        + "</td></tr>"
        for status, response in op["responses"].items()
    )
    parts.append(f"<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>{rows}</table>")
    parts.append("</div>")
    return "".join(parts)


def render_reference(document: dict[str, Any]) -> str:
    """The HTML page of an OpenAPI document (every operation, error code and schema)."""
    info = document["info"]
    operations = "".join(
        _operation(path, method, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    )
    schemas = document["components"]["schemas"]
    codes = "".join(
        f"<tr><td><code>{escape(e['code'])}</code></td><td>{e['status']}</td>"
        f"<td>{escape(e['description'])}</td></tr>"
        for e in schemas["Problem"]["x-error-codes"]
    )
    models = "".join(
        f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>'
        f"<pre>{escape(json.dumps(schema, indent=2))}</pre>"
        for name, schema in sorted(schemas.items())
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(info['title'])} v{escape(info['version'])}</h1>"
        f"<pre>{escape(info['description'])}</pre>"
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>'
        f"<h2>Operations</h2>{operations}"
        "<h2>Error codes</h2><table><tr><th>Code</th><th>Status</th><th>Meaning</th></tr>"
        f"{codes}</table><h2>Schemas</h2>{models}</body></html>"
    )
