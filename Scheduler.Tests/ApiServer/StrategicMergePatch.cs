using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// application/strategic-merge-patch+json for built-in kinds (k8s.io/apimachinery/pkg/util/strategicpatch):
/// like a JSON merge patch, except lists whose Go field carries <c>patchStrategy:"merge"</c> merge item
/// by item on their <c>patchMergeKey</c> (status.conditions on "type", spec.containers on "name", ...) or,
/// for lists of scalars, as a set; plus the directives <c>$patch: replace|delete</c>, <c>$retainKeys</c>,
/// <c>$deleteFromPrimitiveList/f</c> and <c>$setElementOrder/f</c>. Which lists merge comes from the kind
/// (<see cref="ResourceKind.MergeKeys"/>); every other list is replaced, as in Go.
/// </summary>
internal static class StrategicMergePatch
{
    /// <summary>Marks a list whose items are scalars merged as a set (patchStrategy merge, no key).</summary>
    public const string ScalarSet = "";

    public static JsonObject Apply(JsonObject original, JsonObject patch, IReadOnlyDictionary<string, string> mergeKeys) =>
        MergeMap(original.DeepClone().AsObject(), patch, "", mergeKeys) ?? new JsonObject();

    private static JsonObject? MergeMap(JsonObject original, JsonObject patch, string path, IReadOnlyDictionary<string, string> keys)
    {
        switch (JsonObjects.Str(patch["$patch"]))
        {
            case "replace":
                return Clean(patch) as JsonObject;
            case "delete":
                return null;
            case null:
                break;
            default:
                throw StatusResponses.BadRequest($"Unknown patch type: {JsonObjects.Str(patch["$patch"])} in map: {JsonObjects.Serialize(patch)}");
        }
        var orders = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys") continue;
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                if (value is JsonArray order) orders[key["$setElementOrder/".Length..]] = order;
                continue;
            }
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (original[field] is JsonArray list && value is JsonArray doomed)
                {
                    foreach (var item in list.Where(i => doomed.Any(d => JsonNode.DeepEquals(d, i))).ToList()) list.Remove(item);
                }
                continue;
            }
            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            switch (value)
            {
                case null:
                    original.Remove(key);
                    break;
                case JsonObject patchChild:
                    {
                        var merged = original[key] is JsonObject origChild
                            ? MergeMap(origChild.DeepClone().AsObject(), patchChild, childPath, keys)
                            : MergeMap(new JsonObject(), patchChild, childPath, keys);
                        if (merged is null) original.Remove(key);
                        else original[key] = merged;
                        break;
                    }
                case JsonArray patchList when keys.TryGetValue(childPath, out var mergeKey):
                    original[key] = MergeList(original[key] as JsonArray, patchList, mergeKey, childPath, keys);
                    break;
                default:
                    original[key] = Clean(value);
                    break;
            }
        }
        foreach (var (field, order) in orders)
        {
            if (original[field] is JsonArray list && keys.TryGetValue(path.Length == 0 ? field : $"{path}.{field}", out var mergeKey))
                original[field] = Reorder(list, order, mergeKey);
        }
        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(JsonObjects.Str).ToHashSet(StringComparer.Ordinal);
            foreach (var key in original.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList()) original.Remove(key);
        }
        return original;
    }

    private static JsonArray MergeList(JsonArray? original, JsonArray patch, string mergeKey, string path, IReadOnlyDictionary<string, string> keys)
    {
        if (patch.Any(i => i is JsonObject o && JsonObjects.Str(o["$patch"]) == "replace"))
            return new JsonArray(patch.Where(i => !(i is JsonObject o && JsonObjects.Str(o["$patch"]) == "replace")).Select(Clean).ToArray());
        var result = original is null ? new JsonArray() : original.DeepClone().AsArray();
        if (mergeKey == ScalarSet)
        {
            foreach (var item in patch)
            {
                if (!result.Any(r => JsonNode.DeepEquals(r, item))) result.Add(item?.DeepClone());
            }
            return result;
        }
        var itemPath = path + "[]";
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                result.Add(item?.DeepClone());
                continue;
            }
            var keyValue = patchItem[mergeKey];
            var index = IndexOf(result, mergeKey, keyValue);
            if (JsonObjects.Str(patchItem["$patch"]) == "delete")
            {
                if (index >= 0) result.RemoveAt(index);
                continue;
            }
            if (keyValue is null)
                throw StatusResponses.BadRequest($"map: {JsonObjects.Serialize(patchItem)} does not contain declared merge key: {mergeKey}");
            if (index >= 0)
            {
                var merged = MergeMap(((JsonObject)result[index]!).DeepClone().AsObject(), patchItem, itemPath, keys);
                if (merged is null) result.RemoveAt(index);
                else result[index] = merged;
            }
            else
            {
                // New items go after the existing ones, as strategicpatch.mergeSlice appends them.
                result.Add(MergeMap(new JsonObject(), patchItem, itemPath, keys));
            }
        }
        return result;
    }

    private static int IndexOf(JsonArray list, string mergeKey, JsonNode? keyValue)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject o && JsonNode.DeepEquals(o[mergeKey], keyValue)) return i;
        }
        return -1;
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, string mergeKey)
    {
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new List<JsonNode?>();
        foreach (var o in order)
        {
            var key = mergeKey == ScalarSet ? o : (o as JsonObject)?[mergeKey];
            var match = items.FindIndex(i => JsonNode.DeepEquals(mergeKey == ScalarSet ? i : (i as JsonObject)?[mergeKey], key));
            if (match < 0) continue;
            ordered.Add(items[match]);
            items.RemoveAt(match);
        }
        ordered.AddRange(items);
        return new JsonArray(ordered.ToArray());
    }

    /// <summary>A patch value taken as-is, minus any directive keys inside it.</summary>
    private static JsonNode? Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                {
                    var copy = new JsonObject();
                    foreach (var (k, v) in o)
                    {
                        if (k.StartsWith('$')) continue;
                        copy[k] = Clean(v);
                    }
                    return copy;
                }
            case JsonArray a:
                return new JsonArray(a.Select(Clean).ToArray());
            default:
                return node?.DeepClone();
        }
    }
}
