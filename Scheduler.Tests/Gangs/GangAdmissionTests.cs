using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

public class GangAdmissionTests
{
    private const string Block = TopologySpec.BlockLabel;
    private const string Clique = TopologySpec.NvLinkCliqueLabel;
    private const string Rack = ClusterProfile.RackLabel;

    /// <summary>GB200 NVL72: 18 nodes × 4 GPUs per NVLink domain, 2 domains per block, 2 blocks.</summary>
    private static GangTestCluster Gb200() => new(ClusterProfile.Gb200Nvl72 with { NvLinkDomainsPerBlock = 2 }, 72);

    /// <summary>HGX H100: 8 GPUs per node, racks of 4 nodes, 8 nodes per block, 2 blocks.</summary>
    private static GangTestCluster Hgx() => new(ClusterProfile.HgxH100 with { NvLinkDomainsPerBlock = 8 }, 16);

    private static readonly GangAdmission Admission = new();

    private static PodGroupSpec Disagg(string topology, string required, string replicaLevel, string decodePreferred) =>
        new(new ObjectKey("serving", "llama"))
        {
            MinSubGroup = 3,
            TopologyConstraint = new(topology, required),
            SubGroups =
            [
                new("router", MinMember: 1),
                new("prefill", MinSubGroup: 2),
                new("prefill-0", "prefill", MinMember: 4, TopologyConstraint: new(RequiredTopologyLevel: replicaLevel)),
                new("prefill-1", "prefill", MinMember: 4, TopologyConstraint: new(RequiredTopologyLevel: replicaLevel)),
                new("decode", MinMember: 4, TopologyConstraint: new(PreferredTopologyLevel: decodePreferred)),
            ],
        };

    private static Dictionary<string, string> ByPod(GangDecision d) => d.Placements.ToDictionary(p => p.Pod.Name, p => p.Node);

    [Test]
    public void Disaggregated_inference_on_GB200_packs_replicas_into_the_partly_used_NVLink_domain()
    {
        var c = Gb200();
        // NVLink domain 1 (nodes 18–35) already runs work on 10 nodes: 32 GPUs free there.
        for (var i = 18; i < 28; i++) c.Occupy(i, 4);
        c.Refresh();
        var pods = new List<Pod> { Pods.Gpu("serving", "router", 0, group: "llama", subGroup: "router") };
        pods.AddRange(Pods.Replicas("serving", "prefill-0", 4, 4, "llama", "prefill-0"));
        pods.AddRange(Pods.Replicas("serving", "prefill-1", 4, 4, "llama", "prefill-1"));
        pods.AddRange(Pods.Replicas("serving", "decode", 4, 4, "llama", "decode"));

        var d = Admission.Admit(c.Snapshot, c.Request(Disagg("default", Block, Clique, Clique), pods));

        Assert.That(d.Admitted, Is.True, d.Message);
        var expected = new Dictionary<string, string>
        {
            // Both replicas fill the 32 free GPUs of the partly used domain exactly (best fit).
            ["prefill-0-0"] = GangTestCluster.NodeName(28), ["prefill-0-1"] = GangTestCluster.NodeName(29),
            ["prefill-0-2"] = GangTestCluster.NodeName(30), ["prefill-0-3"] = GangTestCluster.NodeName(31),
            ["prefill-1-0"] = GangTestCluster.NodeName(32), ["prefill-1-1"] = GangTestCluster.NodeName(33),
            ["prefill-1-2"] = GangTestCluster.NodeName(34), ["prefill-1-3"] = GangTestCluster.NodeName(35),
            // Decode prefers one NVLink domain: the other domain of the same block.
            ["decode-0"] = GangTestCluster.NodeName(0), ["decode-1"] = GangTestCluster.NodeName(1),
            ["decode-2"] = GangTestCluster.NodeName(2), ["decode-3"] = GangTestCluster.NodeName(3),
            // The CPU-only router goes to the most used node, leaving GPU nodes' CPU for GPU pods elsewhere.
            ["router"] = GangTestCluster.NodeName(18),
        };
        Assert.That(ByPod(d), Is.EquivalentTo(expected));
    }

    [Test]
    public void Disaggregated_inference_on_HGX_keeps_each_replica_in_one_rack_and_the_service_in_one_block()
    {
        var c = Hgx();
        c.Occupy(0, 8).Occupy(1, 8).Refresh(); // rack 0 of block 0 half full
        var pods = new List<Pod> { Pods.Gpu("serving", "router", 0, group: "llama", subGroup: "router") };
        pods.AddRange(Pods.Replicas("serving", "prefill-0", 2, 8, "llama", "prefill-0"));
        pods.AddRange(Pods.Replicas("serving", "prefill-1", 2, 8, "llama", "prefill-1"));
        pods.AddRange(Pods.Replicas("serving", "decode", 2, 8, "llama", "decode"));
        var spec = Disagg("default", Block, Rack, Rack) with
        {
            SubGroups =
            [
                new("router", MinMember: 1),
                new("prefill", MinSubGroup: 2),
                new("prefill-0", "prefill", MinMember: 2, TopologyConstraint: new(RequiredTopologyLevel: Rack)),
                new("prefill-1", "prefill", MinMember: 2, TopologyConstraint: new(RequiredTopologyLevel: Rack)),
                new("decode", MinMember: 2, TopologyConstraint: new(PreferredTopologyLevel: Rack)),
            ],
        };

        var d = Admission.Admit(c.Snapshot, c.Request(spec, pods));

        Assert.That(d.Admitted, Is.True, d.Message);
        var expected = new Dictionary<string, string>
        {
            // Block 0 has 48 free GPUs, block 1 has 64: best fit picks block 0 for the 48-GPU service.
            ["prefill-0-0"] = GangTestCluster.NodeName(2), ["prefill-0-1"] = GangTestCluster.NodeName(3),
            ["prefill-1-0"] = GangTestCluster.NodeName(4), ["prefill-1-1"] = GangTestCluster.NodeName(5),
            ["decode-0"] = GangTestCluster.NodeName(6), ["decode-1"] = GangTestCluster.NodeName(7),
            ["router"] = GangTestCluster.NodeName(0),
        };
        Assert.That(ByPod(d), Is.EquivalentTo(expected));
    }

    [Test]
    public void A_training_gang_lands_whole_in_one_block_or_not_at_all()
    {
        var c = Hgx();
        c.Occupy(0, 8).Occupy(5, 1).Occupy(7, 2).Refresh(); // block 0 cannot take 8 full nodes
        var spec = new PodGroupSpec(new ObjectKey("train", "gpt"))
        {
            MinMember = 8,
            TopologyConstraint = new("default", Block, Rack),
        };
        var pods = Pods.Replicas("train", "worker", 8, 8, "gpt", null);

        var d = Admission.Admit(c.Snapshot, c.Request(spec, pods));

        Assert.That(d.Admitted, Is.True, d.Message);
        Assert.That(d.Placements.Select(p => p.Node).Order(), Is.EqualTo(Enumerable.Range(8, 8).Select(GangTestCluster.NodeName)));
    }

    [Test]
    public void A_gang_that_does_not_fit_places_nothing_and_says_why_per_level()
    {
        var c = Hgx();
        c.Occupy(0, 8).Occupy(8, 8).Refresh();
        var spec = new PodGroupSpec(new ObjectKey("train", "gpt")) { MinMember = 8, TopologyConstraint = new("default", Block) };
        var before = c.Snapshot.Nodes.Sum(n => n.FreeGpu);

        var d = Admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("train", "worker", 8, 8, "gpt", null)));

        Assert.Multiple(() =>
        {
            Assert.That(d.Admitted, Is.False);
            Assert.That(d.Placements, Is.Empty);
            Assert.That(d.Message, Is.EqualTo("group needs 8 pods × 8 nvidia.com/gpu inside one network.topology.nvidia.com/block; the best block fits 7"));
            Assert.That(d.Failures.Single().BestFit, Is.EqualTo(7));
            Assert.That(d.Unplaced, Has.Length.EqualTo(8));
            Assert.That(c.Snapshot.Nodes.Sum(n => n.FreeGpu), Is.EqualTo(before), "a refused gang leaves no reservation behind");
        });
    }

    [Test]
    public void Every_sub_group_minimum_must_fit_at_once()
    {
        var c = Hgx();
        for (var i = 0; i < 16; i++) if (i % 4 != 0) c.Occupy(i, 8); // one free node per rack
        c.Refresh();
        var spec = Disagg("default", Block, Rack, Rack);
        var pods = new List<Pod> { Pods.Gpu("serving", "router", 0, group: "llama", subGroup: "router") };
        pods.AddRange(Pods.Replicas("serving", "prefill-0", 4, 8, "llama", "prefill-0"));
        pods.AddRange(Pods.Replicas("serving", "prefill-1", 4, 8, "llama", "prefill-1"));
        pods.AddRange(Pods.Replicas("serving", "decode", 4, 8, "llama", "decode"));

        var d = Admission.Admit(c.Snapshot, c.Request(spec, pods));

        Assert.That(d.Admitted, Is.False);
        Assert.That(d.Placements, Is.Empty);
        Assert.That(d.Message, Does.Contain("needs 4 pods × 8 nvidia.com/gpu inside one network.topology.nvidia.com/block"));
    }

    [Test]
    public void A_group_waits_for_its_pods_before_trying()
    {
        var c = Hgx();
        var spec = new PodGroupSpec(new ObjectKey("train", "gpt")) { MinMember = 4 };
        var d = Admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("train", "w", 3, 8, "gpt", null)));
        Assert.That(d.Reason, Is.EqualTo("WaitingForPods"));
        Assert.That(d.Message, Does.Contain("has 3 of 4 pods"));
    }

    [Test]
    public void Bound_members_count_toward_the_minimum_and_pin_the_required_domain()
    {
        var c = Hgx();
        var bound = Pods.Gpu("train", "w-0", 8, group: "gpt", node: GangTestCluster.NodeName(12));
        c.Cache.AddOrUpdatePod(bound);
        c.Occupy(13, 8).Occupy(14, 8).Refresh(); // block 1 now fuller than block 0: best fit alone would pick it anyway, so fill 4 more
        var spec = new PodGroupSpec(new ObjectKey("train", "gpt")) { MinMember = 3, TopologyConstraint = new("default", Block) };
        var pods = new List<Pod> { bound };
        pods.AddRange(Pods.Replicas("train", "p", 2, 8, "gpt", null));

        var d = Admission.Admit(c.Snapshot, c.Request(spec, pods));

        Assert.That(d.Admitted, Is.True, d.Message);
        Assert.That(d.AlreadyBound, Is.EqualTo(1));
        Assert.That(d.Placements, Has.Length.EqualTo(2));
        Assert.That(d.Placements.Select(p => c.DomainOf(p.Node, 1)).Distinct(), Is.EqualTo(new[] { c.DomainOf(GangTestCluster.NodeName(12), 1) }));
    }

    [Test]
    public void Pinned_domain_without_room_refuses_rather_than_splitting_the_group()
    {
        var c = Hgx();
        var bound = Pods.Gpu("train", "w-0", 8, group: "gpt", node: GangTestCluster.NodeName(8));
        c.Cache.AddOrUpdatePod(bound);
        for (var i = 9; i < 16; i++) c.Occupy(i, 8);
        c.Refresh();
        var spec = new PodGroupSpec(new ObjectKey("train", "gpt")) { MinMember = 2, TopologyConstraint = new("default", Block) };

        var d = Admission.Admit(c.Snapshot, c.Request(spec, [bound, Pods.Gpu("train", "w-1", 8, group: "gpt")]));

        Assert.That(d.Admitted, Is.False, "block 0 is empty but the group already runs in block 1");
    }

    [Test]
    public void Elastic_extras_are_placed_when_they_fit()
    {
        var c = Hgx();
        for (var i = 3; i < 16; i++) c.Occupy(i, 8);
        c.Refresh();
        var spec = new PodGroupSpec(new ObjectKey("serve", "decode")) { MinMember = 2 };
        var d = Admission.AdmitWithExtras(c.Snapshot, c.Request(spec, Pods.Replicas("serve", "d", 5, 8, "decode", null)));
        Assert.That(d.Admitted, Is.True);
        Assert.That(d.Placements.Count(p => !p.Extra), Is.EqualTo(2));
        Assert.That(d.Placements.Count(p => p.Extra), Is.EqualTo(1));
        Assert.That(d.Unplaced, Has.Length.EqualTo(2));
    }

    [Test]
    public void Sub_groups_above_a_middle_minimum_are_placed_as_extras()
    {
        var c = Hgx();
        var spec = new PodGroupSpec(new ObjectKey("s", "g"))
        {
            SubGroups = [new("prefill", MinSubGroup: 1), new("r0", "prefill", MinMember: 1), new("r1", "prefill", MinMember: 1)],
        };
        var pods = new[] { Pods.Gpu("s", "a", 8, group: "g", subGroup: "r0"), Pods.Gpu("s", "b", 8, group: "g", subGroup: "r1") };
        var d = Admission.AdmitWithExtras(c.Snapshot, c.Request(spec, pods));
        Assert.That(d.Placements.Select(p => (p.SubGroup, p.Extra)), Is.EquivalentTo(new[] { ("r0", false), ("r1", true) }));
    }

    [Test]
    public void Preferred_level_is_used_when_one_domain_of_it_fits()
    {
        var c = Gb200();
        c.Occupy(0, 4).Refresh();
        var spec = new PodGroupSpec(new ObjectKey("t", "g")) { MinMember = 17, TopologyConstraint = new("default", Block, Clique) };
        var d = Admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("t", "w", 17, 4, "g", null)));
        Assert.That(d.Admitted, Is.True);
        Assert.That(d.Placements.Select(p => c.DomainOf(p.Node, 2)).Distinct().Count(), Is.EqualTo(1));
        Assert.That(c.DomainOf(d.Placements[0].Node, 2), Does.EndWith("nvl-00000.0"), "the partly used domain fits exactly: best fit");
    }

    [Test]
    public void Preferred_level_widens_to_the_required_one_when_no_domain_of_it_fits()
    {
        var c = Gb200();
        var spec = new PodGroupSpec(new ObjectKey("t", "g")) { MinMember = 20, TopologyConstraint = new("default", Block, Clique) };
        var d = Admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("t", "w", 20, 4, "g", null)));
        Assert.That(d.Admitted, Is.True);
        Assert.That(d.Placements.Select(p => c.DomainOf(p.Node, 1)).Distinct().Count(), Is.EqualTo(1));
        // Packed: one full NVLink domain plus 2 nodes of the other, not spread.
        Assert.That(d.Placements.GroupBy(p => c.DomainOf(p.Node, 2)).Select(g => g.Count()).Order(), Is.EqualTo(new[] { 2, 18 }));
    }

    [Test]
    public void A_single_pod_gets_kube_scheduler_s_message()
    {
        var c = Hgx();
        for (var i = 0; i < 16; i++) c.Occupy(i, 4);
        c.Refresh();
        var pod = Pods.Gpu("ns", "big", 8);
        var d = Admission.Admit(c.Snapshot, c.Request(PodGroupSpec.ForSinglePod(pod), [pod]));
        Assert.That(d.Message, Is.EqualTo("0/16 nodes are available: 16 Insufficient nvidia.com/gpu."));
    }

    [Test]
    public void Gated_pods_are_not_placed()
    {
        var c = Hgx();
        var spec = new PodGroupSpec(new ObjectKey("t", "g")) { MinMember = 2 };
        var pods = Pods.Replicas("t", "w", 2, 8, "g", null);
        var d = Admission.Admit(c.Snapshot, c.Request(spec, [pods[0], pods[1] with { SchedulingGated = true }]));
        Assert.That(d.Admitted, Is.False);
        Assert.That(d.Reason, Is.EqualTo("WaitingForPods"));
    }

    [Test]
    public void The_same_snapshot_and_request_give_the_same_placements()
    {
        var a = Gb200();
        var b = new GangTestCluster(a.Profile, 0);
        // Same cluster, nodes added in reverse order: domain ids differ, placements must not.
        foreach (var n in a.Profile.Nodes(72).Reverse()) b.Cache.AddOrUpdateNode(n);
        b.Refresh();
        var spec = new PodGroupSpec(new ObjectKey("t", "g")) { MinMember = 6, TopologyConstraint = new("default", Block, Clique) };
        var pods = Pods.Replicas("t", "w", 6, 4, "g", null);
        Assert.That(ByPod(Admission.Admit(b.Snapshot, b.Request(spec, pods))), Is.EquivalentTo(ByPod(Admission.Admit(a.Snapshot, a.Request(spec, pods)))));
    }

    /// <summary>One full NVLink domain of 18 labelled nodes, and two free nodes GFD never labelled with a clique.</summary>
    private static GangTestCluster FullCliqueAndTwoUnlabelledNodes()
    {
        var profile = ClusterProfile.Gb200Nvl72 with { NvLinkDomainsPerBlock = 2 };
        var c = new GangTestCluster(profile, 18);
        for (var i = 0; i < 18; i++) c.Occupy(i, 4);
        foreach (var name in new[] { "bare-0", "bare-1" })
            c.Cache.AddOrUpdateNode(new Node(name, profile.NodeAllocatable, new Dictionary<string, string> { [TopologySpec.HostnameLabel] = name, [Block] = "block-0000" }));
        return c.Refresh();
    }

    [Test]
    public void A_required_level_is_a_guarantee_nodes_without_its_label_are_not_eligible()
    {
        var c = FullCliqueAndTwoUnlabelledNodes();
        var spec = new PodGroupSpec(new ObjectKey("ml", "tp")) { MinMember = 2, TopologyConstraint = new("default", Clique) };

        var d = Admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("ml", "tp", 2, 4, "tp", null)));

        Assert.That(d.Admitted, Is.False, "two unlabelled nodes share no NVLink domain: " + string.Join(", ", d.Placements.Select(p => p.Node)));
        Assert.That(d.Message, Does.Contain("2 node(s) lack label " + Clique));
    }

    [Test]
    public void A_preferred_level_still_lets_unlabelled_nodes_be_used()
    {
        var c = FullCliqueAndTwoUnlabelledNodes();
        var spec = new PodGroupSpec(new ObjectKey("ml", "tp")) { MinMember = 2, TopologyConstraint = new("default", PreferredTopologyLevel: Clique) };

        var d = Admission.Admit(c.Snapshot, c.Request(spec, Pods.Replicas("ml", "tp", 2, 4, "tp", null)));

        Assert.That(d.Admitted, Is.True, d.Message);
        Assert.That(d.Placements.Select(p => p.Node).Order(), Is.EqualTo(new[] { "bare-0", "bare-1" }));
    }
}
