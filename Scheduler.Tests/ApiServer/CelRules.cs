using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Cel;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// x-kubernetes-validations (CRD validation rules in CEL), evaluated as apiextensions-apiserver does
/// after the schema checks pass: at every schema node that declares rules and is present in the object,
/// with <c>self</c> bound to that value (and <c>oldSelf</c> on updates, where transition rules — those
/// mentioning oldSelf — are skipped when there is no old value). A false rule is a 422 cause at the
/// node's path (plus the rule's fieldPath) with its message, or "failed rule: …" without one.
/// The engine is the Cel package (cel-spec); Kubernetes' CEL extension libraries (quantity, url, ip,
/// regex extras, lists.isSorted, …) are not in it, so a rule that does not compile answers 500 with
/// a message saying so — loud rather than silently accepting what the real server might refuse.
/// </summary>
internal static class CelRules
{
    private static readonly ConcurrentDictionary<string, CelProgramDelegate> Programs = new(StringComparer.Ordinal);
    private static readonly Lock CompileGate = new();

    public static List<FieldError> Validate(JsonObject obj, JsonObject? old, JsonObject schema)
    {
        var errs = new List<FieldError>();
        // At the root, self is the object with only metadata.name and generateName visible.
        var root = obj.DeepClone().AsObject();
        if (obj["metadata"] is JsonObject meta)
            root["metadata"] = new JsonObject(meta.Where(p => p.Key is "name" or "generateName").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        Walk(root, old, schema, "", errs);
        return errs;
    }

    private static void Walk(JsonNode node, JsonNode? old, JsonObject schema, string path, List<FieldError> errs)
    {
        if (schema["x-kubernetes-validations"] is JsonArray rules)
        {
            foreach (var rule in rules.OfType<JsonObject>()) Check(rule, node, old, schema, path, errs);
        }
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (value is null || (path.Length == 0 && key is "metadata" or "apiVersion" or "kind")) continue;
                    var sub = schema["properties"]?[key] as JsonObject ?? schema["additionalProperties"] as JsonObject;
                    if (sub is not null) Walk(value, (old as JsonObject)?[key], sub, path.Length == 0 ? key : $"{path}.{key}", errs);
                }
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                {
                    var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(JsonObjects.Str).OfType<string>().ToList();
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (a[i] is not { } item) continue;
                        // Only list-type=map items have an old counterpart (matched by their keys).
                        JsonNode? oldItem = null;
                        if (JsonObjects.Str(schema["x-kubernetes-list-type"]) == "map" && old is JsonArray oldList && item is JsonObject io)
                            oldItem = oldList.OfType<JsonObject>().FirstOrDefault(oi => keys.All(k => JsonNode.DeepEquals(oi[k], io[k])));
                        Walk(item, oldItem, items, $"{path}[{i}]", errs);
                    }
                    break;
                }
        }
    }

    private static void Check(JsonObject rule, JsonNode node, JsonNode? old, JsonObject schema, string path, List<FieldError> errs)
    {
        var expression = JsonObjects.Str(rule["rule"]) ?? "";
        var transition = expression.Contains("oldSelf", StringComparison.Ordinal);
        if (transition && old is null) return;
        var program = Compile(expression);
        var variables = new Dictionary<string, object?> { ["self"] = ToCel(node) };
        if (transition) variables["oldSelf"] = ToCel(old);
        object? result;
        try
        {
            result = program(variables);
        }
        catch (Exception e) when (e is not ApiException)
        {
            errs.Add(new FieldError("FieldValueInvalid", Field(path, rule), $"Invalid value: \"{Type(schema)}\": rule evaluation error: {e.Message}"));
            return;
        }
        if (result is true) return;
        var message = JsonObjects.Str(rule["message"]) ?? $"failed rule: {expression}";
        var field = Field(path, rule);
        errs.Add(JsonObjects.Str(rule["reason"]) switch
        {
            "FieldValueForbidden" => new FieldError("FieldValueForbidden", field, $"Forbidden: {message}"),
            "FieldValueRequired" => new FieldError("FieldValueRequired", field, $"Required value: {message}"),
            "FieldValueDuplicate" => new FieldError("FieldValueDuplicate", field, $"Duplicate value: {message}"),
            _ => new FieldError("FieldValueInvalid", field, $"Invalid value: \"{Type(schema)}\": {message}"),
        });
    }

    private static string Field(string path, JsonObject rule) =>
        JsonObjects.Str(rule["fieldPath"]) is { Length: > 0 } extra ? (path + extra).TrimStart('.') : path;

    private static string Type(JsonObject schema) => JsonObjects.Str(schema["type"]) ?? "object";

    private static CelProgramDelegate Compile(string expression)
    {
        if (Programs.TryGetValue(expression, out var cached)) return cached;
        lock (CompileGate)
        {
            try
            {
                return Programs.GetOrAdd(expression, e => new CelEnvironment(null, null).Compile(e));
            }
            catch (Exception e) when (e is not ApiException)
            {
                throw StatusResponses.ForCode(500, $"the API stand-in cannot evaluate the CRD validation rule \"{expression}\": {e.Message}");
            }
        }
    }

    /// <summary>JSON to CEL values: maps, lists, int (long), double, string, bool, null.</summary>
    private static object? ToCel(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToCel(p.Value), StringComparer.Ordinal),
        JsonArray a => a.Select(ToCel).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => (long)i,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => node.ToJsonString(),
    };
}
