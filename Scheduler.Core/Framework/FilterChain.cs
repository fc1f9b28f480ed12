using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Framework;

/// <summary>
/// The filters a pod must pass on a node, run in kube-scheduler's order; like kube-scheduler a node
/// is reported under the first filter it fails.
/// </summary>
public sealed class FilterChain
{
    private readonly INodeFilter[] _all;
    private readonly INodeFilter[] _specOnly;

    public FilterChain(IEnumerable<INodeFilter> filters)
    {
        Filters = [.. filters];
        _all = [.. Filters];
        _specOnly = [.. Filters.Where(f => f.NodeSpecOnly)];
    }

    public ImmutableArray<INodeFilter> Filters { get; }

    public bool Passes(Pod pod, NodeInfo node)
    {
        // An array, not the ImmutableArray's enumerator through an interface: the hot path allocates nothing.
        foreach (var f in _all)
            if (!f.Passes(pod, node)) return false;
        return true;
    }

    /// <summary>The filters that read only the node's spec: what no freed capacity can change.</summary>
    public bool PassesSpecOnly(Pod pod, NodeInfo node)
    {
        foreach (var f in _specOnly)
            if (!f.Passes(pod, node)) return false;
        return true;
    }

    /// <summary>Every filter whose failure no freed capacity can resolve, spec-only or not.</summary>
    public bool PassesUnresolvable(Pod pod, NodeInfo node)
    {
        foreach (var f in _all)
            if (f.FailureCode == StatusCode.Unresolvable && !f.Passes(pod, node)) return false;
        return true;
    }

    /// <summary>Adds why the pod does not fit on this node to <paramref name="diagnosis"/>; a node that passes but is reserved counts as reserved.</summary>
    public void Explain(Pod pod, NodeInfo node, NodeDiagnosis diagnosis, bool reserved = false)
    {
        foreach (var f in _all)
        {
            if (f.Passes(pod, node)) continue;
            var reasons = diagnosis.Scratch;
            reasons.Clear();
            f.Explain(pod, node, reasons);
            diagnosis.AddNode(reasons, f.FailureCode);
            return;
        }
        if (reserved) diagnosis.AddNode(NodeDiagnosis.ReservedReason, StatusCode.Unschedulable);
        else diagnosis.AddFeasible();
    }

    /// <summary>
    /// Why <paramref name="pod"/> fits no node of the snapshot, as kube-scheduler says it: every node
    /// runs the filters in order and counts under the first it fails. A reserved node counts as
    /// reserved only when the pod could otherwise use it. (Counting GPU-short nodes from the topology
    /// aggregates without visiting them was faster, but named "Insufficient nvidia.com/gpu" for nodes
    /// kube-scheduler reports as tainted or not matching the selector — a misleading message on
    /// exactly the nodes a user is trying to understand.)
    /// </summary>
    public NodeDiagnosis Diagnose(Pod pod, ClusterSnapshot snapshot, bool[]? reserved = null)
    {
        var d = new NodeDiagnosis();
        foreach (var node in snapshot.Nodes) Explain(pod, node, d, reserved is not null && reserved[node.Slot]);
        return d;
    }
}
