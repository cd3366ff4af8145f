using System.Globalization;
using System.Text;

namespace Recurring.Daemon.Cli;

/// <summary>
/// The per-event output of `recurring evaluate --predictions`, and of `python -m recurring_model score`: TSV with the
/// header <c>line label probability</c>, one row per scored event in input order; line is the event's 1-based record (line or Parquet row)
/// in the input (a folder's files counted one after another, malformed records counted but not scored), label 0 or 1,
/// and probability the float32 click probability with 9 significant digits, which is enough to restore it exactly.
/// </summary>
public sealed class PredictionsFile : IAsyncDisposable
{
    public const string Header = "line\tlabel\tprobability";

    private readonly StreamWriter _writer;
    private readonly StringBuilder _rows = new();

    /// <summary>Creates (or replaces) the file; a missing folder or a refused path is an <see cref="IOException"/> now, before any scoring.</summary>
    public PredictionsFile(string path)
    {
        try
        {
            _writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        }
        catch (DirectoryNotFoundException)
        {
            throw new DirectoryNotFoundException($"--predictions: the folder of '{path}' does not exist.");
        }
        _writer.WriteLine(Header);
    }

    public async Task WriteAsync(IReadOnlyList<long> lines, float[] labels, IReadOnlyList<float> probabilities, CancellationToken cancellationToken)
    {
        _rows.Clear();
        for (int i = 0; i < probabilities.Count; i++)
        {
            _rows.Append(lines[i].ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(labels[i] > 0.5f ? '1' : '0').Append('\t')
                .Append(probabilities[i].ToString("G9", CultureInfo.InvariantCulture)).Append('\n');
        }
        await _writer.WriteAsync(_rows, cancellationToken);
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
