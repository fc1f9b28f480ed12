using Quorum.Core.Model;

namespace Quorum.Scheduling;

/// <summary>How a bind ended: bound, refused because the pod is already bound (409), or failed.</summary>
public enum BindOutcome
{
    Bound,
    AlreadyBound,
    PodGone,
    Failed,
}

/// <summary>Binds a pod to a node: in the binary, POST pods/{name}/binding.</summary>
public interface IPodBinder
{
    Task<(BindOutcome Outcome, string? Message)> BindAsync(Pod pod, string node, CancellationToken cancellationToken);

    /// <summary>
    /// PreBind, then bind: the pod's WaitForFirstConsumer claims are bound to the node's volumes or
    /// handed to their provisioner first, as kube-scheduler's VolumeBinding does; a failure there fails
    /// the bind (the pod is placed again).
    /// </summary>
    Task<(BindOutcome Outcome, string? Message)> BindAsync(Pod pod, string node, IReadOnlyList<Quorum.Core.Plugins.VolumeAction> volumes,
        CancellationToken cancellationToken) => BindAsync(pod, node, cancellationToken);
}
