using Quorum.Cli;
using Quorum.Configuration;

namespace Quorum.Tests.Hosting;

/// <summary>
/// The whole binary against a minimal scripted API server over HTTP. Smoke tests of the wiring; the
/// faithful API stand-in with fault injection is still to come (issue 4).
/// </summary>
public class SchedulerHostSmokeTests
{
    private static async Task Until(Func<bool> done, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done() && DateTime.UtcNow < deadline) await Task.Delay(50);
    }

    private static SchedulerOptions Options(bool leaderElect)
    {
        var o = new SchedulerOptions { HealthzBindAddress = "127.0.0.1:0" };
        o.LeaderElection.LeaderElect = leaderElect;
        o.LeaderElection.LeaseDuration = "2s";
        o.LeaderElection.RenewDeadline = "1500ms";
        o.LeaderElection.RetryPeriod = "200ms";
        return o;
    }

    [Test]
    public async Task A_two_pod_gang_is_bound_on_two_nodes_and_its_group_status_written()
    {
        await using var api = new ScriptedApiServer($"{ScriptedApiServer.Node("n1")},{ScriptedApiServer.Node("n2")}",
            $"{ScriptedApiServer.Pod("w0", "job")},{ScriptedApiServer.Pod("w1", "job")}", ScriptedApiServer.PodGroup("job", 2));
        await api.StartAsync();
        await using var scheduler = RunCommand.Build(Options(leaderElect: false), new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = api.Address }), "smoke");
        await scheduler.StartAsync();
        try
        {
            await Until(() => api.Binds.Count == 2 && !api.StatusPatches.IsEmpty);
            Assert.That(api.Binds.Keys.Order(), Is.EqualTo(new[] { "w0", "w1" }));
            Assert.That(api.Binds.Values.Order(), Is.EqualTo(new[] { "n1", "n2" }));
            Assert.That(api.Events.Count(e => e.Contains("\"reason\":\"Scheduled\"", StringComparison.Ordinal)), Is.EqualTo(2));
            Assert.That(api.StatusPatches, Has.Some.Contains("\"phase\":\"Scheduled\""));
            Assert.That(api.StatusPatches, Has.None.Contains("\"name\":\"\""), "a group without sub-groups lists none");
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await scheduler.StopAsync(stop.Token);
        }
    }

    [Test]
    public async Task With_two_instances_only_the_leader_binds_and_the_standby_takes_over_when_it_stops()
    {
        await using var api = new ScriptedApiServer(ScriptedApiServer.Node("n1"), ScriptedApiServer.Pod("w0", "job"), ScriptedApiServer.PodGroup("job", 1));
        await api.StartAsync();
        var a = RunCommand.Build(Options(leaderElect: true), new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = api.Address }), "instance-a");
        await using var b = RunCommand.Build(Options(leaderElect: true), new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = api.Address }), "instance-b");
        await a.StartAsync();
        await Until(() => api.LeaseHolder("quorum-system", "quorum") == "instance-a");
        await b.StartAsync();
        try
        {
            await Until(() => api.Binds.Count == 1);
            await Task.Delay(500);
            Assert.That(api.Binds.Keys, Is.EqualTo(new[] { "w0" }));
            Assert.That(api.BindConflicts, Is.Empty, "the standby never tried to bind");
            Assert.That(api.LeaseHolder("quorum-system", "quorum"), Is.EqualTo("instance-a"));

            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20))) await a.StopAsync(stop.Token);
            await a.DisposeAsync();
            await Until(() => api.LeaseHolder("quorum-system", "quorum") == "instance-b", seconds: 10);
            Assert.That(api.LeaseHolder("quorum-system", "quorum"), Is.EqualTo("instance-b"), "the released lease passes to the standby");
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await b.StopAsync(stop.Token);
        }
    }
}
