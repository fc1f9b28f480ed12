using System.Globalization;
using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// RFC 7386 JSON merge patch (application/merge-patch+json) and RFC 6902 JSON patch
/// (application/json-patch+json), as the API server applies them with evanphx/json-patch: a failed
/// JSON patch operation is a 422 Invalid, a malformed patch document a 400.
/// </summary>
internal static class JsonPatch
{
    /// <summary>RFC 7386: objects merge key by key, null deletes, anything else (lists too) replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObj) return patch?.DeepClone();
        var result = target is JsonObject t ? t.DeepClone().AsObject() : new JsonObject();
        foreach (var (key, value) in patchObj)
        {
            if (value is null) result.Remove(key);
            else result[key] = MergePatch(result[key], value);
        }
        return result;
    }

    /// <summary>RFC 6902 operations applied in order to a copy of the document.</summary>
    public static JsonNode? Apply(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray ops) throw StatusResponses.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        var doc = document?.DeepClone();
        foreach (var opNode in ops)
        {
            if (opNode is not JsonObject op) throw StatusResponses.BadRequest("json: cannot unmarshal into Go value of type jsonpatch.Operation");
            var kind = JsonObjects.Str(op["op"]) ?? "";
            var path = JsonObjects.Str(op["path"]) ?? throw Unprocessable($"{kind} operation does not apply: missing path");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, Value(op, kind));
                    break;
                case "remove":
                    doc = Remove(doc, path, out _);
                    break;
                case "replace":
                    {
                        Get(doc, path, kind);
                        doc = Remove(doc, path, out _);
                        doc = Add(doc, path, Value(op, kind));
                        break;
                    }
                case "move":
                    {
                        var from = JsonObjects.Str(op["from"]) ?? throw Unprocessable("move operation does not apply: missing from");
                        doc = Remove(doc, from, out var moved);
                        doc = Add(doc, path, moved);
                        break;
                    }
                case "copy":
                    {
                        var from = JsonObjects.Str(op["from"]) ?? throw Unprocessable("copy operation does not apply: missing from");
                        doc = Add(doc, path, Get(doc, from, kind)?.DeepClone());
                        break;
                    }
                case "test":
                    if (!JsonNode.DeepEquals(Get(doc, path, kind), op["value"]))
                        throw Unprocessable($"testing value {path} failed: test failed");
                    break;
                default:
                    throw StatusResponses.BadRequest($"Unexpected kind: {kind}");
            }
        }
        return doc;
    }

    private static JsonNode? Value(JsonObject op, string kind) =>
        op.TryGetPropertyValue("value", out var v) ? v?.DeepClone() : throw Unprocessable($"{kind} operation does not apply: missing value");

    private static List<string> Pointer(string path)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw Unprocessable($"invalid JSON pointer: \"{path}\"");
        return path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static JsonNode? Get(JsonNode? doc, string path, string kind)
    {
        var node = doc;
        foreach (var part in Pointer(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(part, out var child) => child,
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw Unprocessable($"{kind} operation does not apply: doc is missing path: \"{path}\": missing value"),
            };
        }
        return node;
    }

    private static JsonNode? Add(JsonNode? doc, string path, JsonNode? value)
    {
        var parts = Pointer(path);
        if (parts.Count == 0) return value;
        var parent = Get(doc, ParentPath(parts), "add");
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-") { a.Add(value); break; }
                if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i > a.Count)
                    throw Unprocessable($"add operation does not apply: doc is missing path: \"{path}\": missing value");
                a.Insert(i, value);
                break;
            default:
                throw Unprocessable($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        }
        return doc;
    }

    private static JsonNode? Remove(JsonNode? doc, string path, out JsonNode? removed)
    {
        var parts = Pointer(path);
        if (parts.Count == 0) throw Unprocessable("remove operation does not apply: cannot remove the whole document");
        var parent = Get(doc, ParentPath(parts), "remove");
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var child):
                removed = child;
                o.Remove(last);
                return doc;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                return doc;
            default:
                throw Unprocessable($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static string ParentPath(List<string> parts) => string.Concat(parts.Take(parts.Count - 1).Select(p => "/" + Escape(p)));

    private static string Escape(string s) => s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static ApiException Unprocessable(string message) => new(422, "Invalid", message);
}
