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
}
