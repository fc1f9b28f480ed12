using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Predicates;

/// <summary>
/// A Filter extension point as in kube-scheduler: decides if a pod may run on a node. The hot path
/// calls <see cref="Passes"/>, which allocates nothing; <see cref="Explain"/> runs only to tell a
/// user why, and must name the same reasons kube-scheduler prints.
/// </summary>
public interface INodeFilter
{
    /// <summary>The kube-scheduler plugin this filter matches (e.g. NodeResourcesFit).</summary>
    string Name { get; }

    bool Passes(Pod pod, NodeInfo node);

    /// <summary>Adds the reasons the pod does not pass; called only after <see cref="Passes"/> returned false.</summary>
    void Explain(Pod pod, NodeInfo node, List<string> reasons);
}
