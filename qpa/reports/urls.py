from django.urls import path

from qpa.reports import phrase_views, views

app_name = "reports"

urlpatterns = [
    path("", views.report_page, name="report"),
    path("summary.json", views.summary_json, name="summary-json"),
    path("chart/<slug:chart>.svg", views.chart, name="chart"),
    path("compare/", views.compare, name="compare"),
    path("trends/", views.trends, name="trends"),
    path("trends/chart.svg", views.trend_chart, name="trend-chart"),
    path("teams/", views.teams, name="teams"),
    path("phrases/", phrase_views.phrases, name="phrases"),
    path("teams/funnel.svg", views.funnel_chart, name="funnel-chart"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("export.docx", views.export_docx, name="export-docx"),
    path("export.pdf", views.export_pdf, name="export-pdf"),
    path("key-messages/", views.key_messages_edit, name="key-messages"),
    path("benchmark.json", views.benchmark_export, name="benchmark-export"),
    path("benchmarks/", views.benchmark_list, name="benchmarks"),
    path("benchmarks/<uuid:public_id>/delete/", views.benchmark_delete, name="benchmark-delete"),
]
