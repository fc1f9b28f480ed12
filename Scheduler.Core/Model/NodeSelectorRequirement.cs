using System.Collections.Immutable;
using System.Globalization;

namespace Quorum.Core.Model;

public enum NodeSelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// <summary>One requirement of a required node affinity term (matchExpressions or matchFields).</summary>
public sealed record NodeSelectorRequirement(string Key, NodeSelectorOperator Operator, ImmutableArray<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(Key, out var value);
        switch (Operator)
        {
            case NodeSelectorOperator.In: return has && Values.Contains(value!);
            case NodeSelectorOperator.NotIn: return !has || !Values.Contains(value!);
            case NodeSelectorOperator.Exists: return has;
            case NodeSelectorOperator.DoesNotExist: return !has;
            case NodeSelectorOperator.Gt:
            case NodeSelectorOperator.Lt:
                if (!has || Values.Length != 1) return false;
                if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual)) return false;
                if (!long.TryParse(Values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound)) return false;
                return Operator == NodeSelectorOperator.Gt ? actual > bound : actual < bound;
            default: return false;
        }
    }

    // By content: pods built from one template carry equal requirements in distinct arrays.
    public bool Equals(NodeSelectorRequirement? other) =>
        other is not null && Key == other.Key && Operator == other.Operator && Values.AsSpan().SequenceEqual(other.Values.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Key, Operator, Values.IsDefault ? 0 : Values.Length);
}

/// <summary>
/// A node selector term: requirements ANDed. matchFields supports only metadata.name, as in Kubernetes.
/// </summary>
public sealed record NodeSelectorTerm(ImmutableArray<NodeSelectorRequirement> MatchExpressions, ImmutableArray<NodeSelectorRequirement> MatchFields)
{
    public bool Matches(Node node)
    {
        // A term with no requirements matches no node (k8s.io/component-helpers nodeaffinity).
        if (MatchExpressions.IsDefaultOrEmpty && MatchFields.IsDefaultOrEmpty) return false;
        if (!MatchExpressions.IsDefaultOrEmpty)
            foreach (var r in MatchExpressions)
                if (!r.Matches(node.Labels)) return false;
        if (!MatchFields.IsDefaultOrEmpty)
            foreach (var r in MatchFields)
                if (!r.Matches(node.Fields)) return false;
        return true;
    }

    public bool Equals(NodeSelectorTerm? other) =>
        other is not null && MatchExpressions.AsSpan().SequenceEqual(other.MatchExpressions.AsSpan())
        && MatchFields.AsSpan().SequenceEqual(other.MatchFields.AsSpan());

    public override int GetHashCode() => HashCode.Combine(MatchExpressions.IsDefault ? 0 : MatchExpressions.Length, MatchFields.IsDefault ? 0 : MatchFields.Length);
}
