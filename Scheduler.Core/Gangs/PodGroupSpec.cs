using System.Collections.Immutable;
using Quorum.Core.Model;

namespace Quorum.Core.Gangs;

/// <summary>Where a (sub-)group's pods must, or should, sit: one domain of a topology level.</summary>
public sealed record TopologyConstraint(string? Topology = null, string? RequiredTopologyLevel = null, string? PreferredTopologyLevel = null);

/// <summary>One entry of spec.subGroups: a leaf (pods, <see cref="MinMember"/>) or a middle group (<see cref="MinSubGroup"/>).</summary>
public sealed record SubGroupSpec(string Name, string? Parent = null, int? MinMember = null, int? MinSubGroup = null,
    TopologyConstraint? TopologyConstraint = null);

/// <summary>
/// A PodGroup as the core sees it, mirroring scheduling.quorum.dev/v1alpha1 (KAI Scheduler's
/// vocabulary). Sub-groups form a tree through <see cref="SubGroupSpec.Parent"/>.
/// </summary>
public sealed record PodGroupSpec(ObjectKey Key)
{
    public int? MinMember { get; init; }
    public int? MinSubGroup { get; init; }
    public string? PriorityClassName { get; init; }

    /// <summary>Resolved from the PriorityClass; pods' own priority when the group names none.</summary>
    public int Priority { get; init; }

    public int? ScheduleTimeoutSeconds { get; init; }
    public TopologyConstraint? TopologyConstraint { get; init; }
    public ImmutableArray<SubGroupSpec> SubGroups { get; init; } = [];
    public DateTimeOffset CreationTimestamp { get; init; }

    /// <summary>The implicit group of a pod that names no PodGroup: a group of one.</summary>
    public static PodGroupSpec ForSinglePod(Pod pod) => new(pod.Key)
    {
        MinMember = 1,
        Priority = pod.Priority,
        CreationTimestamp = pod.CreationTimestamp,
    };
}
