using Quorum.Reporting;

namespace Quorum.Tests.Reporting;

/// <summary>Event fields the API server validates: a note of at most 1 KiB in bytes, and a valid, unique name.</summary>
public class EventFieldTests
{
    [Test]
    public void A_long_note_is_cut_to_1024_bytes_not_characters()
    {
        // "×" is two bytes in UTF-8: 1,000 of them fit in 1,024 characters but not in 1,024 bytes.
        var note = string.Concat(Enumerable.Repeat("8 × ", 300));
        var cut = KubernetesReporter.Truncate(note, KubernetesReporter.MaxNoteBytes);
        Assert.Multiple(() =>
        {
            Assert.That(System.Text.Encoding.UTF8.GetByteCount(cut), Is.LessThanOrEqualTo(1024));
            Assert.That(cut, Does.EndWith("..."));
            Assert.That(note, Does.StartWith(cut[..^3]));
            Assert.That(KubernetesReporter.Truncate("short", 1024), Is.EqualTo("short"));
        });
    }

    [Test]
    public void Event_names_stay_valid_and_distinct_for_the_longest_object_names()
    {
        var longest = new string('a', 251) + "-b";
        var a = KubernetesReporter.EventName(longest);
        var b = KubernetesReporter.EventName(longest);
        Assert.Multiple(() =>
        {
            Assert.That(a, Has.Length.LessThanOrEqualTo(253));
            Assert.That(a, Is.Not.EqualTo(b));
            Assert.That(a, Does.Match("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"));
            Assert.That(KubernetesReporter.EventName("w0"), Does.Match(@"^w0\.[0-9a-f]{16}$"));
        });
    }
}
