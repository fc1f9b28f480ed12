using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Quorum.Hosting;

/// <summary>
/// Metrics under kube-scheduler's names where the concept matches, so existing dashboards work,
/// plus gang metrics under quorum_*. Exported by OpenTelemetry's Prometheus exporter on /metrics.
/// </summary>
public sealed class SchedulerMetrics : IDisposable
{
    public const string MeterName = "Quorum.Scheduler";
    public static readonly ActivitySource Tracing = new("Quorum.Scheduler");

    private readonly Meter _meter = new(MeterName);

    public SchedulerMetrics()
    {
        Attempts = _meter.CreateCounter<long>("scheduler_schedule_attempts", description: "Number of attempts to schedule pods, by the result.");
        AttemptDuration = _meter.CreateHistogram<double>("scheduler_scheduling_attempt_duration_seconds", "s", "Scheduling attempt latency (algorithm + binding).");
        E2eDuration = _meter.CreateHistogram<double>("scheduler_e2e_scheduling_duration_seconds", "s", "E2e scheduling latency, one sample per scheduling pass.");
        GangAdmission = _meter.CreateHistogram<double>("quorum_gang_admission_duration_seconds", "s", "Time from a PodGroup's creation to its admission.");
        _meter.CreateObservableGauge("scheduler_pending_pods", () => PendingPods, description: "Number of pending pods this scheduler is responsible for.");
        _meter.CreateObservableGauge("quorum_gang_groups_pending", () => GroupsPending, description: "PodGroups waiting for admission.");
        Admissions = _meter.CreateCounter<long>("quorum_gang_admissions", description: "Groups admitted (every level's minimum placed).");
    }

    public Counter<long> Attempts { get; }
    public Histogram<double> AttemptDuration { get; }
    public Histogram<double> E2eDuration { get; }
    public Histogram<double> GangAdmission { get; }
    public long PendingPods { get; set; }
    public long GroupsPending { get; set; }
    public Counter<long> Admissions { get; }

    public void Dispose() => _meter.Dispose();
}
