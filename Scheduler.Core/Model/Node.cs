using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Quorum.Core.Model;

/// <summary>What the scheduler knows of a node: the part of core/v1 Node that placement reads.</summary>
public sealed record Node
{
    public Node(string name, ResourceVector allocatable, IReadOnlyDictionary<string, string>? labels = null,
        ImmutableArray<Taint> taints = default, bool unschedulable = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (allocatable.AnyNegative) throw new ArgumentException($"node {name}: allocatable must not be negative ({allocatable})", nameof(allocatable));
        Name = name;
        Allocatable = allocatable;
        Labels = labels is null ? FrozenDictionary<string, string>.Empty : labels.ToFrozenDictionary(StringComparer.Ordinal);
        Taints = taints.IsDefault ? [] : taints;
        Unschedulable = unschedulable;
        Fields = new Dictionary<string, string> { ["metadata.name"] = name }.ToFrozenDictionary();
        foreach (var t in Taints)
            if (t.Effect == TaintEffect.PreferNoSchedule) HasPreferNoScheduleTaint = true;
    }

    public string Name { get; }
    public ResourceVector Allocatable { get; }
    public IReadOnlyDictionary<string, string> Labels { get; }
    public ImmutableArray<Taint> Taints { get; }
    public bool Unschedulable { get; }

    /// <summary>The fields matchFields may select on.</summary>
    internal IReadOnlyDictionary<string, string> Fields { get; }

    internal bool HasPreferNoScheduleTaint { get; }

    /// <summary>
    /// Same labels, taints, schedulability and allocatable: what filters read. A Node object the
    /// watch brings again with only its status heartbeat changed is the same to the scheduler.
    /// </summary>
    internal bool SpecEquals(Node other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (Unschedulable != other.Unschedulable || Allocatable != other.Allocatable || !Taints.SequenceEqual(other.Taints)
            || Labels.Count != other.Labels.Count) return false;
        foreach (var (k, v) in Labels)
            if (!other.Labels.TryGetValue(k, out var o) || o != v) return false;
        return true;
    }
}
