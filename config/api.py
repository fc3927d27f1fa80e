"""The JSON API at /api/v1 (django-ninja): OpenAPI schema and interactive docs at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Judicial auctions API", version="1", urls_namespace="api", docs_url="/docs")
