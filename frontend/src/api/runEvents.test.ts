import { describe, expect, it } from "vitest";
import { advanceCursor, runSocketUrl } from "./runEvents";

describe("runSocketUrl", () => {
  it("follows the page's scheme and resumes after the cursor", () => {
    expect(runSocketUrl({ protocol: "http:", host: "127.0.0.1:8000" }, "r1", 0)).toBe(
      "ws://127.0.0.1:8000/ws/runs/r1/?after=0",
    );
    expect(runSocketUrl({ protocol: "https:", host: "books.example" }, "r1", 42)).toBe(
      "wss://books.example/ws/runs/r1/?after=42",
    );
  });
});

describe("advanceCursor", () => {
  it("only moves forward, so a replayed backlog does not rewind it", () => {
    expect(advanceCursor(3, { seq: 5 })).toBe(5);
    expect(advanceCursor(5, { seq: 4 })).toBe(5);
    expect(advanceCursor(5, { seq: Number.NaN })).toBe(5);
  });
});
