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
        new TaintTolerationFilter(),
        new NodeAffinityFilter(),
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
    /// Why <paramref name="pod"/> fits no node of the snapshot, as kube-scheduler says it: every node
    /// runs the filters in order and counts under the first it fails. (Counting GPU-short nodes from
    /// the topology aggregates without visiting them was faster, but named "Insufficient
    /// nvidia.com/gpu" for nodes kube-scheduler reports as tainted or not matching the selector —
    /// a misleading message on exactly the nodes a user is trying to understand.)
    /// </summary>
    public Diagnosis Diagnose(Pod pod, ClusterSnapshot snapshot, bool[]? reserved = null)
    {
        var d = new Diagnosis();
        foreach (var node in snapshot.Nodes)
        {
            if (reserved is not null && reserved[node.Slot]) d.AddNode(Diagnosis.ReservedReason);
            else Explain(pod, node, d);
        }
        return d;
    }
}
