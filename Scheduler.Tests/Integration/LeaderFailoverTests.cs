using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Quorum.Tests.Integration;

/// <summary>
/// Two replicas with leader election on a Lease: only the leader binds, the standby keeps a warm cache
/// and takes over — at once when the leader stops and releases the lease, within the lease duration
/// when it crashes — and no pod is bound twice.
/// </summary>
public sealed class LeaderFailoverTests(string cluster) : IntegrationTest(cluster)
{
    private async Task<string?> HolderAsync()
    {
        try
        {
            var lease = await Cluster.Admin.CoordinationV1.ReadNamespacedLeaseAsync("quorum", Cluster.Namespace);
            return lease.Spec?.HolderIdentity;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<string> ReadyzAsync(SchedulerInstance instance)
    {
        var address = instance.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(new Uri(address), "/readyz"));
    }

    private async Task<(SchedulerInstance Leader, SchedulerInstance Standby)> TwoReplicasAsync(string leaseDuration = "2s")
    {
        for (var i = 0; i < 2; i++) await Cluster.NodeAsync($"n{i}");
        void Lease(Quorum.Configuration.SchedulerOptions o) => o.LeaderElection.LeaseDuration = leaseDuration;
        var a = await StartSchedulerAsync("quorum-a", leaderElect: true, configure: Lease);
        await TestCluster.WaitUntilAsync(async () => await HolderAsync() == "quorum-a", "the first replica leads");
        var b = await StartSchedulerAsync("quorum-b", leaderElect: true, configure: Lease);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(b.State.Synced), "the standby's cache is synced");

        await Cluster.PodAsync("first", gpus: 8);
        await BoundAsync("first");
        await SettleAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(a.Transport.Binds.Select(x => x.Pod), Is.EqualTo(new[] { "first" }), "the leader bound the pod");
            Assert.That(b.Transport.Binds, Is.Empty, "the standby never binds");
            Assert.That(await ReadyzAsync(a), Does.Contain("leader"));
            Assert.That(await ReadyzAsync(b), Does.Contain("standby"), "a standby is ready: its cache is warm");
        });
        return (a, b);
    }

    [Test]
    public async Task A_replica_that_cannot_create_its_Lease_says_why_in_readyz()
    {
        await Cluster.NodeAsync("n0");
        var a = await StartSchedulerAsync("quorum-a", leaderElect: true, configure: o => o.LeaderElection.ResourceNamespace = "no-such-namespace");
        // Before the caches sync, /readyz is 503 and says so; then it names the failing election.
        async Task<string> Body()
        {
            var address = a.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient();
            using var response = await http.GetAsync(new Uri(new Uri(address), "/readyz"));
            return await response.Content.ReadAsStringAsync();
        }
        await TestCluster.WaitUntilAsync(async () => (await Body()).Contains("leader election failing", StringComparison.Ordinal),
            "readyz names the failing election");
        var readyz = await ReadyzAsync(a);
        Assert.That(readyz, Does.StartWith("ok (standby quorum-a)"));
        Assert.That(readyz, Does.Contain("404").Or.Contain("not found").Or.Contain("NotFound"), readyz);
        Assert.That(a.State.Leader, Is.False);
    }

    [Test]
    public async Task When_the_leader_stops_it_releases_the_lease_and_the_standby_takes_over_at_once()
    {
        // A long lease, so that a takeover well before it could only come from the release.
        var (a, b) = await TwoReplicasAsync(leaseDuration: "8s");
        var stopped = Stopwatch.StartNew();
        await a.StopAsync();
        await TestCluster.WaitUntilAsync(async () => await HolderAsync() == "quorum-b", "the standby takes the released lease");
        Assert.That(stopped.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "a released lease need not expire first (lease duration 8 s)");

        await Cluster.PodAsync("second", gpus: 8);
        await BoundAsync("second");
        Assert.That(b.Transport.Binds.Select(x => x.Pod), Is.EqualTo(new[] { "second" }));
    }

    [Test]
    public async Task When_the_leader_crashes_the_standby_takes_over_within_the_lease_duration_and_nothing_is_bound_twice()
    {
        var (a, b) = await TwoReplicasAsync();
        // Vanishes without releasing the lease: the standby must wait for it to expire.
        var crashed = Stopwatch.StartNew();
        await a.CrashAsync();
        await Cluster.PodAsync("second", gpus: 8);
        await TestCluster.WaitUntilAsync(async () => await HolderAsync() == "quorum-b", "the standby takes the expired lease");
        var takeover = crashed.Elapsed;
        await BoundAsync("second");
        Assert.Multiple(() =>
        {
            // Lease duration 2 s, retry period 0.2 s; allow for a slow machine.
            Assert.That(takeover, Is.LessThan(TimeSpan.FromSeconds(6)));
            Assert.That(b.Transport.Binds.Select(x => (x.Pod, x.Status)), Is.EqualTo(new[] { ("second", 201) }));
            Assert.That(a.Transport.Binds.Where(x => x.Committed).Select(x => x.Pod), Is.EqualTo(new[] { "first" }));
        });
    }

    [Test]
    public async Task A_leader_cut_off_from_the_API_server_stops_leading_and_binds_nothing_when_it_comes_back()
    {
        var (a, b) = await TwoReplicasAsync();
        a.Transport.Partition(true);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(!a.State.Leader), "the cut-off leader steps down when it cannot renew", TimeSpan.FromSeconds(10));
        await TestCluster.WaitUntilAsync(async () => await HolderAsync() == "quorum-b", "the standby leads");
        a.Transport.Partition(false);

        await Cluster.PodAsync("second", gpus: 8);
        await BoundAsync("second");
        await SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(a.Transport.Binds.Where(x => x.Committed).Select(x => x.Pod), Is.EqualTo(new[] { "first" }), "the old leader bound nothing after it lost the lease");
            Assert.That(b.Transport.Binds.Select(x => x.Pod), Is.EqualTo(new[] { "second" }));
        });
    }

    [Test]
    public async Task A_standby_cut_off_while_it_tries_to_acquire_can_still_lead_later()
    {
        var (a, b) = await TwoReplicasAsync();
        // Connection refused while the standby polls the lease (an API server restart, say).
        b.Transport.Partition(true);
        await Task.Delay(TimeSpan.FromSeconds(1));
        b.Transport.Partition(false);
        await a.StopAsync();
        await TestCluster.WaitUntilAsync(async () => await HolderAsync() == "quorum-b", "the standby takes the released lease", TimeSpan.FromSeconds(10));
        await Cluster.PodAsync("second", gpus: 8);
        await BoundAsync("second");
        Assert.That(b.Transport.Binds.Select(x => x.Pod), Is.EqualTo(new[] { "second" }));
    }
}
