using k8s.Models;
using Quorum.Cli;
using Quorum.Configuration;
using Quorum.Kubernetes;
using Quorum.Tests.ApiServer;
using Quorum.Tests.ApiServerTests;

namespace Quorum.Tests.Hosting;

/// <summary>
/// The whole binary (<c>quorum run</c>) against the in-process API stand-in over HTTP. Smoke tests of
/// the wiring; the fault-injection scenarios of issue 4 are still to come.
/// </summary>
public class SchedulerHostSmokeTests : StandInFixture
{
    private static SchedulerOptions Settings(bool leaderElect)
    {
        var o = new SchedulerOptions { HealthzBindAddress = "127.0.0.1:0" };
        o.LeaderElection.LeaderElect = leaderElect;
        o.LeaderElection.LeaseDuration = "2s";
        o.LeaderElection.RenewDeadline = "1500ms";
        o.LeaderElection.RetryPeriod = "200ms";
        return o;
    }

    private void Gang(string group, int pods)
    {
        Api.Put(Objects.PodGroup(group, minMember: pods));
        for (var i = 0; i < pods; i++)
            Api.Put(Objects.Pod($"w{i}", labels: new Dictionary<string, string> { [WellKnown.PodGroupLabel] = group }));
    }

    private string? NodeOf(string pod) => Api.Get<V1Pod>(pod, "ml")?.Spec.NodeName;

    private IEnumerable<ApiRequest> Binds => Api.Requests.Where(r => r.Path.EndsWith("/binding", StringComparison.Ordinal));

    private string? LeaseHolder => Api.Get<V1Lease>("quorum", "quorum-system")?.Spec?.HolderIdentity;

    private static async Task StopAsync(Microsoft.AspNetCore.Builder.WebApplication app)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await app.StopAsync(stop.Token);
    }

    [Test]
    public async Task A_two_pod_gang_is_bound_on_two_nodes_and_its_group_status_written()
    {
        Api.Put(Objects.Node("n1"));
        Api.Put(Objects.Node("n2"));
        Gang("job", 2);
        await using var scheduler = RunCommand.Build(Settings(leaderElect: false), Api.CreateClient(), "smoke");
        await scheduler.StartAsync();
        try
        {
            await KubeApiStandIn.WaitForAsync(() => NodeOf("w0") is not null && NodeOf("w1") is not null
                && Api.Get<PodGroupResource>("job", "ml")?.Status?.Phase == "Scheduled", because: "the gang is bound and its status written");
            Assert.That(new[] { NodeOf("w0"), NodeOf("w1") }.Order(), Is.EqualTo(new[] { "n1", "n2" }));
            Assert.That(Api.List<Eventsv1Event>("ml").Count(e => e.Reason == "Scheduled"), Is.EqualTo(2));
            Assert.That(Api.Get<PodGroupResource>("job", "ml")!.Status!.SubGroups ?? [], Is.Empty, "a group without sub-groups lists none");
        }
        finally
        {
            await StopAsync(scheduler);
        }
    }

    [Test]
    public async Task With_two_instances_only_the_leader_binds_and_the_standby_takes_over_when_it_stops()
    {
        Api.Put(Objects.Namespace("quorum-system"));
        Api.Put(Objects.Node("n1"));
        Gang("job", 1);
        var a = RunCommand.Build(Settings(leaderElect: true), Api.CreateClient(), "instance-a");
        await using var b = RunCommand.Build(Settings(leaderElect: true), Api.CreateClient(), "instance-b");
        await a.StartAsync();
        await KubeApiStandIn.WaitForAsync(() => LeaseHolder == "instance-a", because: "the first instance leads");
        await b.StartAsync();
        try
        {
            await KubeApiStandIn.WaitForAsync(() => NodeOf("w0") is not null, because: "the leader binds");
            await Task.Delay(500);
            Assert.That(Binds.Select(r => r.StatusCode), Is.EqualTo(new[] { 201 }), "one bind, by the leader; the standby never tried");
            Assert.That(LeaseHolder, Is.EqualTo("instance-a"));

            await StopAsync(a);
            await a.DisposeAsync();
            await KubeApiStandIn.WaitForAsync(() => LeaseHolder == "instance-b", TimeSpan.FromSeconds(10), "the released lease passes to the standby");
            Assert.That(LeaseHolder, Is.EqualTo("instance-b"));
        }
        finally
        {
            await StopAsync(b);
        }
    }
}
