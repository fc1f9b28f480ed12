using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// labelSelector as k8s.io/apimachinery/pkg/labels parses it: comma-separated requirements
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>,
/// <c>k&gt;1</c>, <c>k&lt;1</c>. <c>!=</c> and <c>notin</c> match objects without the label, as in Go.
/// </summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist, GreaterThan, LessThan }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var tokens = Lex(text);
        var reqs = new List<Requirement>();
        var i = 0;
        while (i < tokens.Count)
        {
            reqs.Add(ParseRequirement(tokens, ref i));
            if (i < tokens.Count)
            {
                if (tokens[i] != ",") throw Error($"found '{tokens[i]}', expected: ',' or 'end of string'");
                i++;
                if (i == tokens.Count) throw Error("found 'end of string', expected: identifier");
            }
        }
        return new LabelSelector(reqs);
    }

    public bool Matches(JsonObject obj)
    {
        if (_requirements.Count == 0) return true;
        var labels = JsonObjects.StringMap(obj["metadata"]?["labels"]);
        return _requirements.All(r => Matches(r, labels));
    }

    private static bool Matches(Requirement r, IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(r.Key, out var value);
        return r.Op switch
        {
            Op.Exists => has,
            Op.DoesNotExist => !has,
            Op.Equals or Op.In => has && r.Values.Contains(value!),
            Op.NotEquals or Op.NotIn => !has || !r.Values.Contains(value!),
            Op.GreaterThan => has && long.TryParse(value, CultureInfo.InvariantCulture, out var g) && g > long.Parse(r.Values[0], CultureInfo.InvariantCulture),
            Op.LessThan => has && long.TryParse(value, CultureInfo.InvariantCulture, out var l) && l < long.Parse(r.Values[0], CultureInfo.InvariantCulture),
            _ => false,
        };
    }

    private static Requirement ParseRequirement(List<string> t, ref int i)
    {
        if (t[i] == "!")
        {
            i++;
            return new Requirement(Key(t, ref i), Op.DoesNotExist, []);
        }
        var key = Key(t, ref i);
        if (i == t.Count || t[i] == ",") return new Requirement(key, Op.Exists, []);
        var op = t[i++];
        switch (op)
        {
            case "=" or "==" or "!=":
                {
                    // An empty value is allowed ("k=" selects k with an empty value).
                    var value = i < t.Count && !IsSymbol(t[i]) ? t[i++] : "";
                    ValidateValue(value);
                    return new Requirement(key, op == "!=" ? Op.NotEquals : Op.Equals, [value]);
                }
            case "in" or "notin":
                {
                    if (i >= t.Count || t[i] != "(") throw Error($"found '{(i < t.Count ? t[i] : "end of string")}', expected: '('");
                    i++;
                    var values = new List<string>();
                    while (true)
                    {
                        if (i >= t.Count) throw Error("found 'end of string', expected: ')'");
                        if (t[i] == ")") { i++; break; }
                        if (t[i] == ",") { values.Add(""); i++; continue; }
                        var v = t[i++];
                        ValidateValue(v);
                        values.Add(v);
                        if (i < t.Count && t[i] == ",") i++;
                    }
                    if (values.Count == 0) throw Error("for 'in', 'notin' operators, values set can't be empty");
                    return new Requirement(key, op == "in" ? Op.In : Op.NotIn, values);
                }
            case ">" or "<":
                {
                    var v = i < t.Count ? t[i++] : "";
                    if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                        throw Error($"for 'Gt', 'Lt' operators, the value must be an integer");
                    return new Requirement(key, op == ">" ? Op.GreaterThan : Op.LessThan, [v]);
                }
            default:
                throw Error($"found '{op}', expected: in, notin, =, ==, !=, gt, lt");
        }
    }

    private static string Key(List<string> t, ref int i)
    {
        if (i >= t.Count || IsSymbol(t[i])) throw Error($"found '{(i < t.Count ? t[i] : "end of string")}', expected: identifier");
        var key = t[i++];
        var problems = Validation.QualifiedName(key);
        if (problems.Count > 0) throw Error($"key: Invalid value: \"{key}\": {string.Join("; ", problems)}");
        return key;
    }

    private static void ValidateValue(string value)
    {
        var problems = Validation.LabelValue(value);
        if (problems.Count > 0) throw Error($"values[0]: Invalid value: \"{value}\": {string.Join("; ", problems)}");
    }

    private static bool IsSymbol(string token) => token is "," or "(" or ")" or "=" or "==" or "!=" or "!" or ">" or "<";

    private static List<string> Lex(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is ',' or '(' or ')' or '<' or '>') { tokens.Add(c.ToString()); i++; continue; }
            if (c == '=')
            {
                var two = i + 1 < text.Length && text[i + 1] == '=';
                tokens.Add(two ? "==" : "=");
                i += two ? 2 : 1;
                continue;
            }
            if (c == '!')
            {
                var two = i + 1 < text.Length && text[i + 1] == '=';
                tokens.Add(two ? "!=" : "!");
                i += two ? 2 : 1;
                continue;
            }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not (',' or '(' or ')' or '<' or '>' or '=' or '!')) i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private static ApiException Error(string detail) => StatusResponses.BadRequest($"unable to parse requirement: {detail}");
}

/// <summary>
/// fieldSelector as k8s.io/apimachinery/pkg/fields parses it: comma-separated <c>f=v</c>, <c>f==v</c>,
/// <c>f!=v</c> with backslash escapes. Only the fields the kind registers are accepted (the real server
/// answers 400 "field label not supported" for others); a missing field compares as "".
/// </summary>
internal sealed class FieldSelector
{
    private sealed record Term(string Field, bool Equal, string Value);

    private readonly List<Term> _terms;
    private readonly ResourceKind _kind;

    private FieldSelector(ResourceKind kind, List<Term> terms)
    {
        _kind = kind;
        _terms = terms;
    }

    public bool IsEmpty => _terms.Count == 0;

    public static FieldSelector Parse(ResourceKind kind, string? text)
    {
        var terms = new List<Term>();
        if (string.IsNullOrWhiteSpace(text)) return new FieldSelector(kind, terms);
        foreach (var raw in SplitUnescaped(text, ','))
        {
            if (raw.Length == 0) continue;
            var (field, equal, value) = SplitTerm(raw) ?? throw StatusResponses.BadRequest($"invalid selector: '{text}'; can't understand '{raw}'");
            field = field.Trim();
            if (!kind.SupportsFieldLabel(field)) throw StatusResponses.BadRequest($"field label not supported: {field}");
            terms.Add(new Term(field, equal, Unescape(value)));
        }
        return new FieldSelector(kind, terms);
    }

    public bool Matches(JsonObject obj) => _terms.All(t => (_kind.FieldValue(obj, t.Field) == t.Value) == t.Equal);

    private static (string Field, bool Equal, string Value)? SplitTerm(string term)
    {
        // Same precedence as fields.ParseSelector: "!=" before "==" before "=".
        foreach (var (op, equal) in new[] { ("!=", false), ("==", true), ("=", true) })
        {
            var at = IndexOfUnescaped(term, op);
            if (at >= 0) return (term[..at], equal, term[(at + op.Length)..]);
        }
        return null;
    }

    private static int IndexOfUnescaped(string s, string op)
    {
        for (var i = 0; i + op.Length <= s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (string.CompareOrdinal(s, i, op, 0, op.Length) == 0) return i;
        }
        return -1;
    }

    private static List<string> SplitUnescaped(string s, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length) { current.Append(s[i]).Append(s[i + 1]); i++; continue; }
            if (s[i] == separator) { parts.Add(current.ToString()); current.Clear(); continue; }
            current.Append(s[i]);
        }
        parts.Add(current.ToString());
        return parts;
    }

    private static string Unescape(string s)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is '\\' or ',' or '=') { sb.Append(s[i + 1]); i++; continue; }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
