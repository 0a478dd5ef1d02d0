package main

import "strings"

// Category is one node of the product catalog's category tree.
type Category struct {
	ID, Name, Parent string // Parent "" at the root
}

// Trail is a breadcrumb trail, "Home > Kitchen > Cookware", built root last. It is a
// value type: every call that takes one copies all of it onto the stack.
type Trail struct {
	names [32]string
	n     int
}

func (t Trail) push(name string) Trail {
	t.names[t.n%len(t.names)] = name
	t.n++
	return t
}

func (t Trail) String() string {
	var parts []string
	for i := t.n - 1; i >= 0 && i >= t.n-len(t.names); i-- {
		parts = append(parts, t.names[i%len(t.names)])
	}
	return strings.Join(parts, " > ")
}

// Catalog resolves categories through a loader that allows a bounded number of lookups in
// flight (a connection pool in a real service): each one holds a slot until it returns.
type Catalog struct {
	byID  map[string]Category
	slots chan struct{}
}

func NewCatalog(categories []Category, slots int) *Catalog {
	c := &Catalog{byID: map[string]Category{}, slots: make(chan struct{}, slots)}
	for _, cat := range categories {
		c.byID[cat.ID] = cat
	}
	return c
}

// importedCategories came from a bad import: pans' parent chain loops back to kitchen.
var importedCategories = []Category{
	{"home", "Home", ""},
	{"kitchen", "Kitchen", "pans"},
	{"cookware", "Cookware", "kitchen"},
	{"pans", "Pans", "cookware"},
}

// Breadcrumbs is the category's trail up to the root.
func (c *Catalog) Breadcrumbs(id string) string {
	return c.crumbs(id, Trail{}).String()
}

// crumbs resolves id, then its parents.
//
// BUG: there is no visited set, so a cycle in the parent links recurses until the loader
// runs out of slots (each level holds one until the recursion returns, which it never
// does); the request goroutine then blocks forever in load, its stack hundreds of frames
// and over a megabyte deep.
func (c *Catalog) crumbs(id string, trail Trail) Trail {
	cat := c.load(id)
	defer c.release()
	trail = trail.push(cat.Name)
	if cat.Parent == "" {
		return trail
	}
	return c.parentCrumbs(cat, trail)
}

func (c *Catalog) parentCrumbs(cat Category, trail Trail) Trail {
	return c.crumbs(cat.Parent, trail)
}

// load takes a loader slot and looks the category up.
func (c *Catalog) load(id string) Category {
	c.slots <- struct{}{}
	return c.byID[id]
}

func (c *Catalog) release() { <-c.slots }
