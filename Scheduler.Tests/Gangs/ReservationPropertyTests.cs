using CsCheck;
using Microsoft.Extensions.Time.Testing;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

/// <summary>
/// The starvation reservation over random clusters and queues: it is made only for a gang that freed
/// capacity could help, holds only nodes that gang could use, and never stands in the way of a gang
/// that could not have used them.
/// </summary>
public class ReservationPropertyTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly string?[] Levels = [null, TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel];
    private static readonly ClusterProfile Shape = ClusterProfile.Gb200Nvl72 with { NvLinkDomainsPerBlock = 2, NodesPerNvLinkDomain = 6 };
    private const int NodeCount = 36;

    // A gang: pods, GPUs per pod, selector (0 none, 1 pool=a, 2 a label no node has), tolerates the taint, required level, priority.
    private static readonly Gen<(int Pods, int Gpus, int Selector, bool Tolerates, int Req, int Priority)> GangGen =
        Gen.Select(Gen.Int[1, 14], Gen.Int[1, 4], Gen.Int[0, 2], Gen.Bool, Gen.Int[0, 2], Gen.Int[0, 2]);

    // Busy pods, seed for labels/taints/occupancy, the queue.
    private static readonly Gen<(int Busy, int Seed, (int Pods, int Gpus, int Selector, bool Tolerates, int Req, int Priority)[] Gangs)> Case =
        Gen.Select(Gen.Int[0, 80], Gen.Int[0, 10_000], GangGen.Array[2, 6]);

    [Test]
    public void A_reservation_is_only_for_a_gang_freed_capacity_helps_and_never_blocks_a_gang_that_could_not_use_it()
    {
        var profile = SchedulerProfile.Default(new PlacementOptions { StarvationThreshold = TimeSpan.FromMinutes(1) });
        var filters = profile.Filters;
        var reservations = 0;
        Case.Sample(tc =>
        {
            var (c, requests) = Build(tc, empty: false);
            var result = new SchedulingCycle(new GangAdmission(profile), new FakeTimeProvider(T0.AddMinutes(5))).Run(c.Snapshot, requests);

            foreach (var d in result.Decisions.Where(d => d.HeldFor is not null))
                Assert.That(result.Reservation, Is.Not.Null, "a decision names a reservation the cycle did not make");
            if (result.Reservation is not { } r) return;
            reservations++;

            var holder = requests.Single(q => q.Key == r.Group);
            var holderDecision = result.Decisions.Single(d => d.Group == r.Group);
            Assert.That(holderDecision.Code, Is.EqualTo(StatusCode.Unschedulable), "only a gang freed capacity could help reserves");

            var blocked = c.Snapshot.Nodes.Where(n => r.Blocks(n.Slot)).ToList();
            Assert.That(blocked, Is.Not.Empty);
            var pending = holder.Members.Where(p => !p.IsBound).ToList();
            foreach (var n in blocked)
                Assert.That(pending.Any(p => filters.PassesUnresolvable(p, n)), Is.True, $"{n.Node.Name} is held but no pod of {r.Group} could ever use it");

            // The gang alone on the same nodes with nothing running fits: holding capacity for it is not in vain.
            var (empty, emptyRequests) = Build(tc, empty: true);
            var alone = new GangAdmission(profile).AdmitWithExtras(empty.Snapshot, emptyRequests.Single(q => q.Key == r.Group));
            Assert.That(alone.Admitted, Is.True, $"{r.Group} reserved {r.DomainPath} but could not fit even on an empty cluster: {alone.Message}");

            foreach (var decision in result.Decisions)
            {
                var request = requests.Single(q => q.Key == decision.Group);
                if (request.Key == r.Group || decision.Admitted) continue;
                var couldUse = request.Members.Where(p => !p.IsBound).Any(p => blocked.Any(n => filters.PassesUnresolvable(p, n)));
                if (couldUse) continue;
                Assert.That(decision.HeldFor, Is.Null, $"{request.Key} could not use the held nodes but is told they were held: {decision.Message}");
                Assert.That(decision.Message, Does.Not.Contain("held for"), request.Key.ToString());
            }
        }, iter: 400);
        Assert.That(reservations, Is.GreaterThan(20), "the generator must produce reservations for the property to say anything");
    }

    [Test]
    public void An_unresolvable_gang_never_reserves_and_truly_cannot_fit_on_an_empty_cluster()
    {
        var profile = SchedulerProfile.Default(new PlacementOptions { StarvationThreshold = TimeSpan.FromMinutes(1) });
        var unresolvable = 0;
        Case.Sample(tc =>
        {
            var (c, requests) = Build(tc, empty: false);
            var result = new SchedulingCycle(new GangAdmission(profile), new FakeTimeProvider(T0.AddMinutes(5))).Run(c.Snapshot, requests);
            foreach (var d in result.Decisions.Where(d => d.Code == StatusCode.Unresolvable))
            {
                unresolvable++;
                Assert.That(result.Reservation?.Group, Is.Not.EqualTo(d.Group));
                var (empty, emptyRequests) = Build(tc, empty: true);
                var alone = new GangAdmission(profile).AdmitWithExtras(empty.Snapshot, emptyRequests.Single(q => q.Key == d.Group));
                Assert.That(alone.Admitted, Is.False, $"{d.Group} was called unresolvable ({d.Message}) yet fits an empty cluster");
            }
        }, iter: 400);
        Assert.That(unresolvable, Is.GreaterThan(20));
    }

    private static (GangTestCluster, List<GangRequest>) Build(
        (int Busy, int Seed, (int Pods, int Gpus, int Selector, bool Tolerates, int Req, int Priority)[] Gangs) tc, bool empty)
    {
        var rng = new Random(tc.Seed);
        var c = new GangTestCluster(Shape, 0);
        foreach (var n in Shape.Nodes(NodeCount))
        {
            var labels = new Dictionary<string, string>(n.Labels);
            if (rng.Next(2) == 0) labels["pool"] = "a";
            // Some nodes lack the clique label: a required clique level must leave them out.
            if (rng.Next(8) == 0) labels.Remove(TopologySpec.NvLinkCliqueLabel);
            var taints = rng.Next(4) == 0 ? [new Taint("dedicated", "x", TaintEffect.NoSchedule)] : System.Collections.Immutable.ImmutableArray<Taint>.Empty;
            c.Cache.AddOrUpdateNode(new Node(n.Name, n.Allocatable, labels, taints));
        }
        var used = new long[NodeCount];
        for (var i = 0; i < tc.Busy; i++)
        {
            var node = rng.Next(NodeCount);
            var gpus = 1 + rng.Next(2);
            if (empty || used[node] + gpus > 4) continue;
            used[node] += gpus;
            c.Occupy(node, gpus, $"busy-{i}");
        }
        c.Refresh();

        var requests = new List<GangRequest>();
        for (var g = 0; g < tc.Gangs.Length; g++)
        {
            var (pods, gpus, selector, tolerates, req, priority) = tc.Gangs[g];
            var name = $"g{g}";
            var created = T0.AddSeconds(g);
            var spec = new PodGroupSpec(new ObjectKey("t", name))
            {
                MinMember = pods,
                Priority = priority,
                CreationTimestamp = created,
                TopologyConstraint = Levels[req] is { } level ? new("default", level) : null,
            };
            var members = Pods.Replicas("t", name, pods, gpus, name, null, created: created, priority: priority).Select(p => p with
            {
                NodeSelector = selector switch
                {
                    1 => new Dictionary<string, string> { ["pool"] = "a" },
                    2 => new Dictionary<string, string> { ["pool"] = "nope" },
                    _ => p.NodeSelector,
                },
                Tolerations = tolerates ? [new Toleration("dedicated", TolerationOperator.Exists, null, null)] : p.Tolerations,
            });
            requests.Add(c.Request(spec, members));
        }
        return (c, requests);
    }
}
