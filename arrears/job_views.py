"""'我的导出与导入': a user's background jobs, with progress while the page is open, cancel,
retry and the download of a finished file. Every job is its owner's alone: anyone else gets
404, whatever their role."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears import jobs
from arrears.models import ACTIVE_STATES, Job
from arrears.paging import offset_page
from arrears.request_user import request_user


def sent_to_background(request: HttpRequest, job: Job) -> HttpResponse:
    """What a page answers when it started a job instead of doing the work: the jobs page,
    with a message naming the job."""
    if job.upload_name:
        text = _("文件较大，已转为后台导入（任务 %(n)s），完成后将通知你。")
    else:
        text = _("数据量较大，已转为后台导出（任务 %(n)s），完成后将通知你。")
    messages.info(request, text % {"n": job.pk})
    return redirect("job-list")


def _own(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(Job.objects.filter(owner=request_user(request)), pk=pk)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    qs = Job.objects.filter(owner=request_user(request)).order_by("-created_at", "-id")
    page = offset_page(request, qs, 20)
    for job in page:
        job.kind_label = jobs.kind_label(job.kind)
    context = {"page": page, "polling": any(job.state in ACTIVE_STATES for job in page)}
    # htmx polls the table alone while a job on it is still queued or running.
    if getattr(request, "htmx", False):
        return render(request, "arrears/_jobs_table.html", context)
    return render(request, "arrears/jobs.html", context)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        jobs.job_cancel(job=_own(request, pk), user=request_user(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("job-list")


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        jobs.job_retry(job=_own(request, pk), user=request_user(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("job-list")


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _own(request, pk)
    try:
        handle = jobs.job_file(job=job)
    except (ValidationError, FileNotFoundError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=job.result_name)
