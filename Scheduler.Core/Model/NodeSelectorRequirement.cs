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
}
