using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>Small helpers over System.Text.Json nodes: objects are stored and served as JSON.</summary>
internal static class JsonObjects
{
    /// <summary>Go's encoder escapes only what JSON requires (plus &lt;, &gt;, &amp;); keep quotes readable.</summary>
    public static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(JsonNode? node) => node?.ToJsonString(Output) ?? "null";

    public static JsonObject ParseObject(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw StatusResponses.BadRequest($"couldn't get version/kind; json parse error: {e.Message}");
        }
        return node as JsonObject ?? throw StatusResponses.BadRequest("couldn't get version/kind; json parse error: the request body must be a JSON object");
    }

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        m = new JsonObject();
        obj["metadata"] = m;
        return m;
    }

    /// <summary>A number whether the node was parsed or built in code (JsonValue.GetValue is type-strict for the latter).</summary>
    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<double>(out var d)) return (long)d;
        return null;
    }

    public static bool? Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string? MetaStr(JsonObject obj, string field) => Str(obj["metadata"]?[field]);

    public static string Name(JsonObject obj) => MetaStr(obj, "name") ?? "";

    public static string? Namespace(JsonObject obj) => MetaStr(obj, "namespace");

    public static long ResourceVersion(JsonObject obj) =>
        long.TryParse(MetaStr(obj, "resourceVersion"), NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv : 0;

    public static string Rv(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    /// <summary>Walks a dotted path ("spec.nodeName"); null when any step is missing.</summary>
    public static JsonNode? At(JsonNode? node, string dottedPath)
    {
        foreach (var part in dottedPath.Split('.'))
        {
            if (node is not JsonObject o) return null;
            node = o[part];
        }
        return node;
    }

    /// <summary>Gets or creates the object at a dotted path.</summary>
    public static JsonObject Ensure(JsonObject obj, string dottedPath)
    {
        var node = obj;
        foreach (var part in dottedPath.Split('.'))
        {
            if (node[part] is not JsonObject child)
            {
                child = new JsonObject();
                node[part] = child;
            }
            node = child;
        }
        return node;
    }

    /// <summary>A scalar rendered as field selectors and labels see it: strings bare, bools lower-case.</summary>
    public static string ScalarText(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node) =>
        node is JsonObject o
            ? o.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => ScalarText(p.Value), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>metav1.Time: RFC 3339 in UTC at whole seconds, as Go's encoder writes it.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>metav1.MicroTime: RFC 3339 with exactly six fractional digits.</summary>
    public static string MicroTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string s, out DateTimeOffset t) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out t);

    /// <summary>A copy of the object without the named top-level fields (to compare "everything but status").</summary>
    public static JsonObject Without(JsonObject obj, params string[] fields)
    {
        var copy = obj.DeepClone().AsObject();
        foreach (var f in fields) copy.Remove(f);
        return copy;
    }
}
