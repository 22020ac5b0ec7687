"""The portfolio page and its CSV export, both filtered by the query string."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from initiatives.portfolio.export import write_csv
from initiatives.portfolio.queries import build_portfolio

PAGE_SIZE = 50


@login_required
def portfolio(request):
    data = build_portfolio(request.user, request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "portfolio": data,
        "form": data.form,
        "page": Paginator(data.rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "export_query": query.urlencode(),
    }
    return render(request, "initiatives/portfolio.html", context)


@login_required
def portfolio_export(request):
    data = build_portfolio(request.user, request.GET)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-as-of-{data.as_of:%Y-%m-%d}.csv"'
    write_csv(response, data.rows)
    return response
