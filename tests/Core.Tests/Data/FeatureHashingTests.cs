using Recurring.Core.Data;

namespace Recurring.Core.Tests.Data;

public class FeatureHashingTests
{
    private static int[] Tables(int rows) => Enumerable.Repeat(rows, CriteoRecord.CategoricalCount).ToArray();

    // Computed once with an independent Python implementation of the documented formula. Trained models depend
    // on these rows: if this test fails, the change breaks every existing checkpoint. Do not update the numbers.
    [Theory]
    [InlineData(0, 0x0UL, 2, 1)]
    [InlineData(0, 0x0UL, 1000, 737)]
    [InlineData(0, 0x1UL, 1000, 459)]
    [InlineData(0, 0x68fd1e64UL, 100_000, 98213)]
    [InlineData(7, 0x68fd1e64UL, 100_000, 74326)]
    [InlineData(25, 0x68fd1e64UL, 100_000, 27788)]
    [InlineData(12, 0xffffffffffffffffUL, 10_000_000, 1051002)]
    [InlineData(3, 0x78dde6e5fd29f054UL, int.MaxValue, 1)]
    [InlineData(25, 0xdeadbeefUL, 3, 2)]
    public void Rows_never_change(int table, ulong value, int rows, int expectedRow)
    {
        var hashing = new FeatureHashing(Tables(rows));

        Assert.Equal(expectedRow, hashing.RowOf(table, value));
    }

    [Fact]
    public void A_missing_value_gets_row_0()
    {
        var hashing = new FeatureHashing(Tables(1000));

        Assert.Equal(0, hashing.RowOf(4, null));
    }

    [Fact]
    public void Present_values_never_get_row_0_and_stay_inside_the_table()
    {
        var hashing = new FeatureHashing(Tables(7));

        for (ulong value = 0; value < 10_000; value++)
        {
            Assert.InRange(hashing.RowOf(11, value * 0x1234567UL), 1, 6);
        }
    }

    [Fact]
    public void Each_table_uses_its_own_size()
    {
        var rows = Tables(1000);
        rows[9] = 3;
        var hashing = new FeatureHashing(rows);

        Assert.Equal(2, hashing.RowOf(9, 0x68fd1e64UL));
        Assert.Equal(253, hashing.RowOf(8, 0x68fd1e64UL));
    }

    [Theory]
    [InlineData(25)]
    [InlineData(27)]
    public void Anything_but_26_tables_is_refused(int tableCount)
    {
        var refusal = Assert.Throws<ArgumentException>(() => new FeatureHashing(Enumerable.Repeat(10, tableCount).ToArray()));

        Assert.Contains($"got {tableCount}", refusal.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_table_with_fewer_than_2_rows_is_refused(int rows)
    {
        var sizes = Tables(10);
        sizes[3] = rows;

        var refusal = Assert.Throws<ArgumentException>(() => new FeatureHashing(sizes));

        Assert.Contains($"Table 3 (C4) has {rows} rows", refusal.Message);
    }

    [Theory]
    [InlineData(null, 0f)]
    [InlineData(-5.0, 0f)]
    [InlineData(0.0, 0f)]
    [InlineData(Math.E - 1, 1f)]
    [InlineData(1e6, 13.815511557963774f)]
    public void Dense_values_become_log_of_1_plus_the_value_clamped_at_0(double? raw, float expected)
    {
        Assert.Equal(expected, FeatureHashing.TransformDense(raw), tolerance: 1e-6f);
    }

    [Fact]
    public void Transform_fills_dense_values_and_rows_for_a_record()
    {
        var hashing = new FeatureHashing(Tables(100_000));
        var record = new CriteoRecord();
        record.Dense[2] = Math.E - 1;
        record.Categorical[7] = 0x68fd1e64UL;
        var dense = new float[CriteoRecord.DenseCount];
        var rows = new long[CriteoRecord.CategoricalCount];

        hashing.Transform(record, dense, rows);

        Assert.Equal([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dense);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 74326, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], rows);
    }
}
