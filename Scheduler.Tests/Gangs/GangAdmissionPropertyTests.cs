using CsCheck;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

/// <summary>Invariants of admission over random clusters and gangs.</summary>
public class GangAdmissionPropertyTests
{
    private static readonly string[] Levels = [TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel];

    // (busy nodes seed, leaves: (pods, gpus per pod, required level 0..2, min), group required, group preferred)
    private static readonly Gen<(int Busy, (int Pods, int Gpus, int Req, int Min)[] Leaves, int Req, int Pref, int Seed)> Case =
        Gen.Select(Gen.Int[0, 60], Gen.Select(Gen.Int[1, 10], Gen.Int[0, 4], Gen.Int[0, 2], Gen.Int[1, 10]).Array[1, 4],
            Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 1000]);

    [Test]
    public void No_overcommit_no_partial_gang_constraints_honoured_and_deterministic()
    {
        var admission = new GangAdmission();
        Case.Sample(tc =>
        {
            var (c, request) = Build(tc);
            var before = c.Snapshot.Nodes.ToDictionary(n => n.Name, n => n.Requested);
            var d = admission.Admit(c.Snapshot, request);

            // Never over-committed on any resource.
            foreach (var n in c.Snapshot.Nodes) Assert.That(n.Free.AnyNegative, Is.False, $"{n.Name} over-committed");
            if (!d.Admitted)
            {
                Assert.That(d.Placements, Is.Empty);
                foreach (var n in c.Snapshot.Nodes) Assert.That(n.Requested, Is.EqualTo(before[n.Name]), "refused gang left capacity taken");
                Assert.That(d.Message, Is.Not.Null.And.Not.Empty);
                return;
            }
            // Every level's minimum placed.
            var tree = request.Tree;
            foreach (var leaf in tree.Nodes.Where(n => n.IsLeaf))
                Assert.That(d.Placements.Count(p => p.SubGroup == leaf.Name), Is.GreaterThanOrEqualTo(leaf.MinMember), leaf.Name);
            // Required constraints: all pods of a (sub-)group inside one domain of its level.
            foreach (var g in tree.Nodes.Where(n => n.RequiredDepth > 0))
            {
                var leaves = Descendants(g).Where(n => n.IsLeaf).Select(n => n.Name).ToHashSet();
                var domains = d.Placements.Where(p => leaves.Contains(p.SubGroup ?? "")).Select(p => c.DomainOf(p.Node, g.RequiredDepth)).Distinct().ToList();
                Assert.That(domains, Has.Count.LessThanOrEqualTo(1), $"{g.DisplayName} split across {string.Join(",", domains)}");
            }
            // Deterministic: the same snapshot state and request give the same answer.
            var (c2, request2) = Build(tc);
            var again = admission.Admit(c2.Snapshot, request2);
            Assert.That(again.Placements.Select(p => (p.Pod, p.Node)), Is.EqualTo(d.Placements.Select(p => (p.Pod, p.Node))));
        }, iter: 300);
    }

    [Test]
    public void When_one_domain_of_the_preferred_level_can_hold_the_group_it_is_used()
    {
        var admission = new GangAdmission();
        Gen.Select(Gen.Int[0, 60], Gen.Int[1, 18], Gen.Int[1, 4], Gen.Int[0, 1000]).Sample(tc =>
        {
            var (busy, pods, gpus, seed) = tc;
            var c = Cluster(busy, seed);
            var spec = new PodGroupSpec(new ObjectKey("t", "g")) { MinMember = pods, TopologyConstraint = new("default", TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel) };
            var tree = c.Snapshot.Tree("default")!;
            var cliques = new List<int>();
            tree.DomainsAt(0, 2, cliques);
            var oneFits = cliques.Any(d => tree.MaxPodsByGpu(d, gpus) >= pods);
            var decision = admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("t", "w", pods, gpus, "g", null)));
            if (!oneFits) return;
            Assert.That(decision.Admitted, Is.True);
            Assert.That(decision.Placements.Select(p => c.DomainOf(p.Node, 2)).Distinct().Count(), Is.EqualTo(1));
        }, iter: 300);
    }

    private static IEnumerable<GangNode> Descendants(GangNode g) => g.Children.SelectMany(Descendants).Prepend(g);

    private static GangTestCluster Cluster(int busy, int seed)
    {
        var c = new GangTestCluster(ClusterProfile.Gb200Nvl72 with { NvLinkDomainsPerBlock = 2, NodesPerNvLinkDomain = 6 }, 36);
        var rng = new Random(seed);
        for (var i = 0; i < busy; i++) c.Occupy(rng.Next(36), 1 + rng.Next(2), $"busy-{i}");
        // Occupy may have over-filled a node in this loop: drop what does not fit, as a kubelet would.
        foreach (var n in c.Profile.Nodes(36))
        {
            var pods = c.Cache.PodsOn(n.Name).OrderBy(p => p.Key.Name, StringComparer.Ordinal).ToList();
            long used = 0;
            foreach (var p in pods)
            {
                if (used + p.Requests.Gpu > 4) c.Cache.RemovePod(p.Key);
                else used += p.Requests.Gpu;
            }
        }
        return c.Refresh();
    }

    private static (GangTestCluster, GangRequest) Build((int Busy, (int Pods, int Gpus, int Req, int Min)[] Leaves, int Req, int Pref, int Seed) tc)
    {
        var c = Cluster(tc.Busy, tc.Seed);
        string? Level(int depth) => depth == 0 ? null : Levels[depth - 1];
        var subs = tc.Leaves.Select((l, i) => new SubGroupSpec($"leaf-{i}", MinMember: Math.Min(l.Min, l.Pods),
            TopologyConstraint: new(RequiredTopologyLevel: Level(Math.Max(l.Req, tc.Req))))).ToList();
        var spec = new PodGroupSpec(new ObjectKey("t", "g"))
        {
            MinSubGroup = subs.Count,
            TopologyConstraint = new("default", Level(tc.Req), tc.Pref > tc.Req ? Level(tc.Pref) : null),
            SubGroups = [.. subs],
        };
        var pods = tc.Leaves.SelectMany((l, i) => Pods.Replicas("t", $"l{i}", l.Pods, l.Gpus, "g", $"leaf-{i}"));
        return (c, c.Request(spec, pods));
    }
}
