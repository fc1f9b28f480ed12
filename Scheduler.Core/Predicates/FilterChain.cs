using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Predicates;

/// <summary>
/// The filters a pod must pass on a node, run in kube-scheduler's order; like kube-scheduler a node
/// is reported under the first filter it fails.
/// </summary>
public sealed class FilterChain
{
    public FilterChain(IEnumerable<INodeFilter> filters) => Filters = [.. filters];

    /// <summary>The filters every user expects from kube-scheduler.</summary>
    public static FilterChain Default { get; } = new(
    [
        new NodeUnschedulableFilter(),
        new NodeAffinityFilter(),
        new TaintTolerationFilter(),
        new NodeResourcesFitFilter(),
    ]);

    public ImmutableArray<INodeFilter> Filters { get; }

    public bool Passes(Pod pod, NodeInfo node)
    {
        foreach (var f in Filters)
            if (!f.Passes(pod, node)) return false;
        return true;
    }

    /// <summary>Adds why the pod does not fit on this node to <paramref name="diagnosis"/>.</summary>
    public void Explain(Pod pod, NodeInfo node, Diagnosis diagnosis)
    {
        foreach (var f in Filters)
        {
            if (f.Passes(pod, node)) continue;
            var reasons = diagnosis.Scratch;
            reasons.Clear();
            f.Explain(pod, node, reasons);
            diagnosis.AddNode(reasons);
            return;
        }
        diagnosis.AddFeasible();
    }

    /// <summary>
    /// Why <paramref name="pod"/> fits no node of the snapshot, as kube-scheduler would say it. Nodes
    /// with fewer free GPUs than the pod requests are counted from the flat tree's histogram as
    /// "Insufficient nvidia.com/gpu" without visiting them; only the rest run the filters. That
    /// differs from kube-scheduler only for a node that lacks GPUs and also fails an earlier filter
    /// (taint, selector, cordon), which kube-scheduler reports under the earlier one.
    /// </summary>
    public Diagnosis Diagnose(Pod pod, ClusterSnapshot snapshot, bool[]? reserved = null)
    {
        var d = new Diagnosis();
        var gpus = pod.Requests.Gpu;
        var flat = snapshot.FlatTree;
        foreach (var node in snapshot.Nodes)
        {
            if (reserved is not null && reserved[node.Slot]) d.AddNode(Diagnosis.ReservedReason);
            else if (gpus > 0 && flat.NodeFreeGpu(node.Slot) < gpus) d.AddNodes(NodeResourcesFitFilter.Reason(ResourceNames.NvidiaGpu), 1);
            else Explain(pod, node, d);
        }
        return d;
    }
}
