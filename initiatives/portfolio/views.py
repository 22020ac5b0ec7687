"""The portfolio page and its CSV export, both filtered and sorted by the query string."""

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render

from initiatives.portfolio.export import csv_chunks
from initiatives.portfolio.queries import build_portfolio


@login_required
def portfolio(request):
    data = build_portfolio(request.user, request.GET)
    context = {
        "portfolio": data,
        "form": data.form,
        "page": data.page(request.GET.get("page")),
        "export_query": data.form.query()[1:],
    }
    return render(request, "initiatives/portfolio.html", context)


@login_required
def portfolio_export(request):
    data = build_portfolio(request.user, request.GET)
    response = StreamingHttpResponse(csv_chunks(data.each_row()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-as-of-{data.as_of:%Y-%m-%d}.csv"'
    return response
