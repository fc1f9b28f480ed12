using System.Collections.Immutable;

namespace Quorum.Core.Model;

/// <summary>
/// One pod (anti-)affinity term: the pods <see cref="Selector"/> picks in the namespaces the term
/// names, counted per domain of <see cref="TopologyKey"/> (nodes sharing that label's value).
/// </summary>
/// <param name="Selector">Null selects no pod (as in Kubernetes: a term without labelSelector matches nothing).</param>
/// <param name="Namespaces">Namespaces named outright; with <paramref name="NamespaceSelector"/> null and this empty, the pod's own (resolved when mapped).</param>
/// <param name="NamespaceSelector">
/// Selects namespaces by their labels. Quorum does not watch Namespaces, so it is evaluated against the
/// label every namespace carries, <c>kubernetes.io/metadata.name</c>; an empty selector selects all.
/// </param>
public sealed record PodAffinityTerm(LabelSelector? Selector, ImmutableArray<string> Namespaces, LabelSelector? NamespaceSelector, string TopologyKey)
{
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    /// <summary>Does the term pick <paramref name="pod"/>?</summary>
    public bool Selects(Pod pod) => Selector is { } s && InNamespace(pod.Key.Namespace) && s.Matches(pod.Labels);

    private bool InNamespace(string ns)
    {
        if (!Namespaces.IsDefaultOrEmpty && Namespaces.Contains(ns)) return true;
        return NamespaceSelector is { } selector && selector.Matches(new Dictionary<string, string> { [NamespaceNameLabel] = ns });
    }

    public bool Equals(PodAffinityTerm? other) =>
        other is not null && Equals(Selector, other.Selector) && Namespaces.AsSpan().SequenceEqual(other.Namespaces.AsSpan())
        && Equals(NamespaceSelector, other.NamespaceSelector) && TopologyKey == other.TopologyKey;

    public override int GetHashCode() => HashCode.Combine(Selector, TopologyKey);
}

/// <summary>A preferred term and its weight (1–100), added to the score of nodes that satisfy it.</summary>
public sealed record WeightedPodAffinityTerm(int Weight, PodAffinityTerm Term);

/// <summary>spec.affinity.podAffinity and podAntiAffinity.</summary>
public sealed record PodAffinity
{
    public static PodAffinity None { get; } = new();

    public ImmutableArray<PodAffinityTerm> Required { get; init; } = [];
    public ImmutableArray<PodAffinityTerm> RequiredAnti { get; init; } = [];
    public ImmutableArray<WeightedPodAffinityTerm> Preferred { get; init; } = [];
    public ImmutableArray<WeightedPodAffinityTerm> PreferredAnti { get; init; } = [];

    public bool IsEmpty => Required.IsDefaultOrEmpty && RequiredAnti.IsDefaultOrEmpty && Preferred.IsDefaultOrEmpty && PreferredAnti.IsDefaultOrEmpty;
}

/// <summary>A host port a container asks for: conflicts with the same port and protocol on an overlapping host IP.</summary>
public readonly record struct HostPort(string Protocol, string HostIp, int Port)
{
    public const string AnyIp = "0.0.0.0";

    public bool ConflictsWith(HostPort other) =>
        Port == other.Port && Protocol == other.Protocol && (HostIp == other.HostIp || HostIp == AnyIp || other.HostIp == AnyIp);
}

public enum SpreadAction
{
    DoNotSchedule,
    ScheduleAnyway,
}

/// <summary>spec.topologySpreadConstraints[]: how unevenly matching pods may spread over a label's domains.</summary>
public sealed record TopologySpreadConstraint(int MaxSkew, string TopologyKey, SpreadAction WhenUnsatisfiable, LabelSelector? Selector)
{
    /// <summary>Fewer domains than this count as a global minimum of 0 (only with DoNotSchedule).</summary>
    public int MinDomains { get; init; } = 1;

    /// <summary>nodeAffinityPolicy Honor (default): only nodes matching the pod's selector and node affinity count.</summary>
    public bool HonorNodeAffinity { get; init; } = true;

    /// <summary>nodeTaintsPolicy Honor: only nodes whose taints the pod tolerates count (default Ignore).</summary>
    public bool HonorNodeTaints { get; init; }
}
