using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Hosting;

namespace Quorum.Tests.Integration;

/// <summary>What an operator's dashboards and tracing read from a running scheduler.</summary>
public sealed class ObservabilityTests(string cluster) : IntegrationTest(cluster)
{
    [Test]
    public async Task Metrics_carry_kube_scheduler_names_and_each_busy_pass_is_a_span()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SchedulerMetrics.Tracing.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.IsAllDataRequested) spans.Enqueue(a); },
        };
        ActivitySource.AddActivityListener(listener);

        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        var scheduler = await StartSchedulerAsync();
        await Cluster.PodGroupAsync("pair", new Quorum.Kubernetes.PodGroupSpecResource { MinMember = 2 });
        await Cluster.PodAsync("pair-0", group: "pair");
        await Cluster.PodAsync("pair-1", group: "pair");
        await Cluster.PodAsync("huge", gpus: 16);
        await BoundAsync("pair-0", "pair-1");
        await SettleAsync();

        var address = scheduler.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(new Uri(address), "/metrics"));
        Assert.Multiple(() =>
        {
            Assert.That(metrics, Does.Match(@"scheduler_schedule_attempts_total\{[^}]*result=""scheduled""[^}]*\} 1\b"));
            Assert.That(metrics, Does.Match(@"scheduler_schedule_attempts_total\{[^}]*result=""unschedulable""[^}]*\} [1-9]"));
            Assert.That(metrics, Does.Contain("scheduler_scheduling_attempt_duration_seconds_bucket"));
            Assert.That(metrics, Does.Contain("scheduler_e2e_scheduling_duration_seconds_bucket"));
            Assert.That(metrics, Does.Match(@"scheduler_pending_pods(\{[^}]*\})? 1\b"), "the huge pod waits");
            Assert.That(metrics, Does.Contain("quorum_gang_admission_duration_seconds_bucket"));
            Assert.That(metrics, Does.Match(@"quorum_gang_admissions_total(\{[^}]*\})? 1\b"));

            var passes = spans.Where(s => s.OperationName == "SchedulingPass").ToList();
            Assert.That(passes, Is.Not.Empty);
            Assert.That(passes.Sum(s => (int)s.GetTagItem("quorum.pods_bound")!), Is.EqualTo(2));
            // Binds finish after the pass that handed them over: a pass that only took their results is busy too.
            Assert.That(passes, Has.All.Matches<Activity>(s => (int)s.GetTagItem("quorum.groups_tried")! + (int)s.GetTagItem("quorum.pods_bound")!
                + (int)s.GetTagItem("quorum.bind_failures")! > 0), "idle ticks make no spans");
        });
    }
}
