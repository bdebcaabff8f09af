import { listOf } from "./api/client";

test("listOf accepts plain lists and pages", () => {
  expect(listOf([1, 2])).toEqual([1, 2]);
  expect(listOf({ results: [3] })).toEqual([3]);
});
