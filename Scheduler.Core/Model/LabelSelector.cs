using System.Collections.Immutable;

namespace Quorum.Core.Model;

/// <summary>
/// metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), ANDed.
/// An empty selector matches every object; a missing one (null where it is optional) matches none.
/// </summary>
public sealed record LabelSelector(ImmutableArray<KeyValuePair<string, string>> MatchLabels, ImmutableArray<NodeSelectorRequirement> MatchExpressions)
{
    public static LabelSelector Everything { get; } = new([], []);

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        if (!MatchLabels.IsDefaultOrEmpty)
            foreach (var (key, value) in MatchLabels)
                if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        if (!MatchExpressions.IsDefaultOrEmpty)
            foreach (var r in MatchExpressions)
                if (!r.Matches(labels)) return false;
        return true;
    }

    public bool Equals(LabelSelector? other) =>
        other is not null && MatchLabels.AsSpan().SequenceEqual(other.MatchLabels.AsSpan())
        && MatchExpressions.AsSpan().SequenceEqual(other.MatchExpressions.AsSpan());

    public override int GetHashCode() => HashCode.Combine(MatchLabels.IsDefault ? 0 : MatchLabels.Length, MatchExpressions.IsDefault ? 0 : MatchExpressions.Length);
}
