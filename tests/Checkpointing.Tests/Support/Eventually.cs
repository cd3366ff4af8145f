namespace Recurring.Checkpointing.Tests.Support;

/// <summary>Polls a condition until it holds or a deadline passes: the tests never sleep for a fixed time to wait.</summary>
internal static class Eventually
{
    public static Task That(Func<bool> condition, string what, Func<string>? describe = null, int timeoutSeconds = 30) =>
        That(() => Task.FromResult(condition()), what, describe, timeoutSeconds);

    /// <param name="describe">What was seen, for the failure message.</param>
    public static async Task That(Func<Task<bool>> condition, string what, Func<string>? describe = null, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {timeoutSeconds} s waiting until {what}; last seen: {describe?.Invoke() ?? "no detail"}.");
            await Task.Delay(20);
        }
    }
}
