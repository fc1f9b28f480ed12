using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;

namespace Quorum.Tests.Model;

public class FilterChainTests
{
    private static readonly FilterChain Chain = SchedulerProfile.Default().Filters;

    /// <summary>The node with <paramref name="pods"/> bound pods that request <paramref name="requested"/> in all.</summary>
    private static NodeInfo Info(Node node, ResourceVector requested = default, int pods = 1)
    {
        var cache = new ClusterCache();
        cache.AddOrUpdateNode(node);
        if (!requested.IsZero)
            for (var i = 0; i < pods; i++)
                cache.AddOrUpdatePod(new Pod(new ObjectKey("ns", $"bound{i}"), i == 0 ? requested : default) { NodeName = node.Name });
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        return snapshot.Find(node.Name)!;
    }

    private static Node GpuNode(string name = "n", IReadOnlyDictionary<string, string>? labels = null, ImmutableArray<Taint> taints = default, bool unschedulable = false) =>
        new(name, new ResourceVector(64_000, 512L << 30, 8, 110), labels, taints, unschedulable);

    private static Pod PodWith(long gpus = 1) => new(new ObjectKey("ns", "p"), new ResourceVector(1000, 1L << 30, gpus, 0));

    [Test]
    public void A_pod_fits_a_node_with_room()
    {
        Assert.That(Chain.Passes(PodWith(8), Info(GpuNode())), Is.True);
    }

    [Test]
    public void Insufficient_gpus_are_reported_as_kube_scheduler_does()
    {
        var d = new NodeDiagnosis();
        Chain.Explain(PodWith(4), Info(GpuNode(), new ResourceVector(0, 0, 6, 1)), d);
        Assert.That(d.ToMessage(), Is.EqualTo("0/1 nodes are available: 1 Insufficient nvidia.com/gpu."));
    }

    [Test]
    public void A_full_node_reports_too_many_pods()
    {
        var d = new NodeDiagnosis();
        Chain.Explain(PodWith(0), Info(GpuNode(), new ResourceVector(1, 0, 0, 0), pods: 110), d);
        Assert.That(d.ToMessage(), Is.EqualTo("0/1 nodes are available: 1 Too many pods."));
    }

    [Test]
    public void Untolerated_NoSchedule_and_NoExecute_taints_filter_but_PreferNoSchedule_does_not()
    {
        var noSchedule = Info(GpuNode(taints: [new Taint("gpu", "true", TaintEffect.NoSchedule)]));
        var noExecute = Info(GpuNode(taints: [new Taint("maint", null, TaintEffect.NoExecute)]));
        var prefer = Info(GpuNode(taints: [new Taint("soft", "x", TaintEffect.PreferNoSchedule)]));
        var pod = PodWith();
        Assert.Multiple(() =>
        {
            Assert.That(Chain.Passes(pod, noSchedule), Is.False);
            Assert.That(Chain.Passes(pod, noExecute), Is.False);
            Assert.That(Chain.Passes(pod, prefer), Is.True);
            var tolerant = pod with { Tolerations = [new Toleration("gpu", TolerationOperator.Equal, "true", TaintEffect.NoSchedule)] };
            Assert.That(Chain.Passes(tolerant, noSchedule), Is.True);
            var everything = pod with { Tolerations = [new Toleration(null, TolerationOperator.Exists, null, null)] };
            Assert.That(Chain.Passes(everything, noExecute), Is.True);
        });
    }

    [Test]
    public void Messages_fold_many_nodes_into_counts_sorted_like_kube_scheduler()
    {
        var d = new NodeDiagnosis();
        var pod = PodWith(8);
        for (var i = 0; i < 4; i++) Chain.Explain(pod, Info(GpuNode($"a{i}"), new ResourceVector(0, 0, 1, 1)), d);
        Chain.Explain(pod, Info(GpuNode("t", taints: [new Taint("gpu", "true", TaintEffect.NoSchedule)])), d);
        Assert.That(d.ToMessage(), Is.EqualTo("0/5 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 4 Insufficient nvidia.com/gpu."));
    }

    [Test]
    public void Diagnosing_a_whole_snapshot_names_each_node_under_the_first_filter_it_fails_as_kube_scheduler_does()
    {
        var cache = new ClusterCache();
        for (var i = 0; i < 20; i++)
            cache.AddOrUpdateNode(GpuNode($"n{i}", taints: i % 5 == 0 ? [new Taint("gpu", "true", TaintEffect.NoSchedule)] : default));
        for (var i = 0; i < 20; i += 2) cache.AddOrUpdatePod(new Pod(new ObjectKey("ns", $"busy{i}"), new ResourceVector(0, 0, 6, 0)) { NodeName = $"n{i}" });
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        var d = Chain.Diagnose(PodWith(4), snapshot);
        // n0 and n10 are both short of GPUs and tainted: TaintToleration runs before NodeResourcesFit,
        // so they count under the taint, as kube-scheduler counts them.
        Assert.That(d.ToMessage(), Is.EqualTo("8/20 nodes are available: 4 node(s) had untolerated taint {gpu: true}, 8 Insufficient nvidia.com/gpu."));
    }

    [Test]
    public void Cordoned_nodes_are_unschedulable_unless_tolerated()
    {
        var node = Info(GpuNode(unschedulable: true));
        var d = new NodeDiagnosis();
        Chain.Explain(PodWith(), node, d);
        Assert.That(d.ToMessage(), Is.EqualTo("0/1 nodes are available: 1 node(s) were unschedulable."));
        var tolerant = PodWith() with { Tolerations = [new Toleration("node.kubernetes.io/unschedulable", TolerationOperator.Exists, null, TaintEffect.NoSchedule)] };
        Assert.That(Chain.Passes(tolerant, node), Is.True);
    }

    [Test]
    public void NodeSelector_and_required_affinity_with_every_operator()
    {
        var node = Info(GpuNode(labels: new Dictionary<string, string> { ["zone"] = "a", ["gen"] = "9" }));
        NodeSelectorTerm Term(NodeSelectorOperator op, params string[] values) =>
            new([new NodeSelectorRequirement(op is NodeSelectorOperator.Gt or NodeSelectorOperator.Lt ? "gen" : "zone", op, [.. values])], []);
        bool Passes(NodeSelectorTerm t) => Chain.Passes(PodWith() with { RequiredNodeAffinity = [t] }, node);
        Assert.Multiple(() =>
        {
            Assert.That(Passes(Term(NodeSelectorOperator.In, "a", "b")), Is.True);
            Assert.That(Passes(Term(NodeSelectorOperator.In, "b")), Is.False);
            Assert.That(Passes(Term(NodeSelectorOperator.NotIn, "a")), Is.False);
            Assert.That(Passes(Term(NodeSelectorOperator.NotIn, "b")), Is.True);
            Assert.That(Passes(Term(NodeSelectorOperator.Exists)), Is.True);
            Assert.That(Passes(Term(NodeSelectorOperator.DoesNotExist)), Is.False);
            Assert.That(Passes(Term(NodeSelectorOperator.Gt, "8")), Is.True);
            Assert.That(Passes(Term(NodeSelectorOperator.Lt, "8")), Is.False);
            var byName = new NodeSelectorTerm([], [new NodeSelectorRequirement("metadata.name", NodeSelectorOperator.In, ["n"])]);
            Assert.That(Passes(byName), Is.True);
            Assert.That(Chain.Passes(PodWith() with { NodeSelector = new Dictionary<string, string> { ["zone"] = "b" } }, node), Is.False);
        });
    }
}
