using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Framework;

/// <summary>
/// A Filter extension point as in kube-scheduler: decides if a pod may run on a node. The hot path
/// calls <see cref="Passes"/>, which allocates nothing; <see cref="Explain"/> runs only to tell a
/// user why, and must name the same reasons kube-scheduler prints.
/// </summary>
public interface INodeFilter
{
    /// <summary>The kube-scheduler plugin this filter matches (e.g. NodeResourcesFit).</summary>
    string Name { get; }

    /// <summary>
    /// What a failure means: <see cref="StatusCode.Unschedulable"/> when freeing capacity on the node
    /// could make the pod pass, <see cref="StatusCode.Unresolvable"/> when nothing but a change of the
    /// node or the pod could.
    /// </summary>
    StatusCode FailureCode { get; }

    /// <summary>
    /// True when the answer depends only on the Node object (labels, taints, unschedulable) and the pod,
    /// not on what runs there: such answers are cached per node spec (see <see cref="Eligibility"/>).
    /// </summary>
    bool NodeSpecOnly { get; }

    bool Passes(Pod pod, NodeInfo node);

    /// <summary>Adds the reasons the pod does not pass; called only after <see cref="Passes"/> returned false.</summary>
    void Explain(Pod pod, NodeInfo node, List<string> reasons);
}
